package registry

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Command is how the handlers file says it was made.
const Command = "make registry-permissions SCHEMAS=<CloudformationSchema.zip or folder> SOURCE=<note>"

// schema is the part of a registry schema that matters here.
type schema struct {
	TypeName string `json:"typeName"`
	Handlers map[string]struct {
		Permissions []string `json:"permissions"`
	} `json:"handlers"`
}

// Generate rewrites the handlers file out from AWS's registry schemas (a
// CloudformationSchema.zip or a folder of its JSON files), with source as the note of where
// they come from. It writes the types already in out plus keep; a type missing from the
// schemas is an error, so a regeneration never drops data silently.
func Generate(schemas, source, out string, keep []string) error {
	if schemas == "" || strings.TrimSpace(source) == "" {
		return errors.New("-schemas and -source are required: name the schemas and where they come from")
	}
	all, err := readSchemas(schemas)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	if b, err := os.ReadFile(out); err == nil {
		var old File
		if err := json.Unmarshal(b, &old); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		for t := range old.Types {
			want[t] = true
		}
	}
	for _, t := range keep {
		want[t] = true
	}
	f := File{Source: strings.TrimSpace(source), Regenerate: Command, Types: map[string]Handlers{}}
	var missing []string
	for t := range want {
		s, ok := all[t]
		if !ok {
			missing = append(missing, t)
			continue
		}
		f.Types[t] = handlersOf(s)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("types %v are not in the schemas at %s", missing, schemas)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func handlersOf(s schema) Handlers {
	list := func(name string) []string {
		p := slices.Clone(s.Handlers[name].Permissions)
		slices.Sort(p)
		return slices.Compact(p)
	}
	h := Handlers{Create: list("create"), Update: list("update"), Delete: list("delete")}
	h.NoHandlers = len(s.Handlers) == 0
	return h
}

// readSchemas reads every *.json schema of a folder or zip, by type name.
func readSchemas(path string) (map[string]schema, error) {
	out := map[string]schema{}
	add := func(name string, r io.Reader) error {
		var s schema
		if err := json.NewDecoder(r).Decode(&s); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if s.TypeName == "" {
			return nil // not a resource schema
		}
		out[s.TypeName] = s
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		z, err := zip.OpenReader(path)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		for _, f := range z.File {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			r, err := f.Open()
			if err != nil {
				return nil, err
			}
			err = add(f.Name, r)
			r.Close()
			if err != nil {
				return nil, err
			}
		}
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			r, err := os.Open(p)
			if err != nil {
				return err
			}
			defer r.Close()
			return add(p, r)
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no resource schemas in %s", path)
	}
	return out, nil
}
