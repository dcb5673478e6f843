package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestValidateAcceptsTheRouteTable(t *testing.T) {
	if err := Shipped().Validate(); err != nil {
		t.Fatalf("the route table is inconsistent:\n%v", err)
	}
}

func TestRoutesOfAndFunction(t *testing.T) {
	tbl := Shipped()
	for _, f := range Functions {
		got, ok := tbl.Function(f.Name)
		if !ok || got.Name != f.Name {
			t.Errorf("Function(%q) = %v, %v", f.Name, got, ok)
		}
		if len(tbl.RoutesOf(f.Name)) == 0 {
			t.Errorf("RoutesOf(%q) is empty", f.Name)
		}
	}
	if _, ok := tbl.Function("Nope"); ok {
		t.Error("Function found a function that does not exist")
	}
	if r := tbl.RoutesOf("Nope"); r != nil {
		t.Errorf("RoutesOf(Nope) = %v", r)
	}
	// RoutesOf keeps table order: a function's routes interleaved with another's.
	a1, b1 := Route{Method: MethodPost, Path: "/a", Function: "A"}, Route{Method: MethodGet, Path: "/b", Function: "B"}
	a2, a3 := Route{Method: MethodPut, Path: "/a/{id}", Function: "A"}, Route{Method: MethodDelete, Path: "/a/{id}", Function: "A"}
	small := Table{Routes: []Route{a1, b1, a2, a3}}
	if got := small.RoutesOf("A"); !slices.EqualFunc(got, []Route{a1, a2, a3}, routeEqual) {
		t.Errorf("RoutesOf(A) = %v, want POST /a, PUT /a/{id}, DELETE /a/{id} in table order", got)
	}
	// Over the shipped table: every route is served by exactly its function, in table order.
	var all []Route
	for _, f := range tbl.Functions {
		all = append(all, tbl.RoutesOf(f.Name)...)
		var want []Route
		for _, r := range tbl.Routes {
			if r.Function == f.Name {
				want = append(want, r)
			}
		}
		if got := tbl.RoutesOf(f.Name); !slices.EqualFunc(got, want, routeEqual) {
			t.Errorf("RoutesOf(%s) = %v, want %v", f.Name, got, want)
		}
	}
	if len(all) != len(tbl.Routes) {
		t.Errorf("the functions' routes add up to %d, the table has %d", len(all), len(tbl.Routes))
	}
}

func routeEqual(a, b Route) bool {
	return a.Method == b.Method && a.Path == b.Path && a.Function == b.Function
}

// Paths lists each path once, in table order; AllowedMethods lists a path's methods once,
// sorted (the Allow header). Checked on a table of its own, then as a rule over the
// shipped one, so that a new route never breaks it.
func TestPathsAndAllowedMethods(t *testing.T) {
	small := Table{Routes: []Route{
		{Method: MethodPut, Path: "/b/{id}"}, {Method: MethodGet, Path: "/a"},
		{Method: MethodGet, Path: "/b/{id}"}, {Method: MethodDelete, Path: "/b/{id}"}, {Method: MethodPost, Path: "/a"},
	}}
	if got := small.Paths(); !slices.Equal(got, []string{"/b/{id}", "/a"}) {
		t.Errorf("Paths() = %v, want [/b/{id} /a]", got)
	}
	for path, want := range map[string][]Method{
		"/a":      {MethodGet, MethodPost},
		"/b/{id}": {MethodDelete, MethodGet, MethodPut},
		"/nope":   nil,
	} {
		if got := small.AllowedMethods(path); !slices.Equal(got, want) {
			t.Errorf("AllowedMethods(%s) = %v, want %v (sorted)", path, got, want)
		}
	}

	tbl := Shipped()
	paths := tbl.Paths()
	if len(paths) == 0 {
		t.Fatal("the shipped table has no path")
	}
	for i, p := range paths {
		if slices.Contains(paths[:i], p) {
			t.Errorf("Paths() lists %s twice", p)
		}
		got := tbl.AllowedMethods(p)
		if !slices.IsSorted(got) {
			t.Errorf("AllowedMethods(%s) = %v: not sorted", p, got)
		}
		var want []Method
		for _, r := range tbl.Routes {
			if r.Path == p && !slices.Contains(want, r.Method) {
				want = append(want, r.Method)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("AllowedMethods(%s) = %v, want the methods of its routes %v", p, got, want)
		}
	}
	for _, r := range tbl.Routes {
		if !slices.Contains(paths, r.Path) {
			t.Errorf("Paths() misses %s of %s %s", r.Path, r.Method, r.Path)
		}
	}
}

func TestMatch(t *testing.T) {
	tbl := Table{Routes: []Route{
		{Method: MethodGet, Path: "/notes/{id}"},
		{Method: MethodGet, Path: "/notes/shared"},
		{Method: MethodGet, Path: "/notes"},
		{Method: MethodGet, Path: "/notes/{id}/tags/{tag}"},
	}}
	for path, want := range map[string]string{
		"/notes": "/notes", "/notes/": "/notes", "/notes/abc": "/notes/{id}", "/notes/abc/": "/notes/{id}",
		"/notes/shared": "/notes/shared", "/notes/a/tags/b": "/notes/{id}/tags/{tag}",
	} {
		got, _, ok := tbl.Match(path)
		if !ok || got != want {
			t.Errorf("Match(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
	_, params, _ := tbl.Match("/notes/a b/tags/x%2F")
	if params["id"] != "a b" || params["tag"] != "x%2F" || len(params) != 2 {
		t.Errorf("params %v", params)
	}
	for _, path := range []string{
		"", "/", "//", "notes", "//notes", "/notes//", "/./notes", "/notes/.", "/notes/..", "/notes/../notes",
		"/notes/a//tags/b", "/notes/a/tags", "/other", "/notes/a/b",
	} {
		if got, _, ok := tbl.Match(path); ok {
			t.Errorf("Match(%q) = %q, want no match", path, got)
		}
	}
}

func TestAllowHeaderAndMessage(t *testing.T) {
	if got := AllowHeader([]Method{MethodPut, MethodDelete, MethodGet, MethodGet}); got != "DELETE, GET, PUT" {
		t.Errorf("AllowHeader = %q", got)
	}
	if got := AllowHeader([]string{"POST"}); got != "POST" {
		t.Errorf("AllowHeader(strings) = %q", got)
	}
	if got := MethodNotAllowedMessage("PATCH", "/notes/{id}"); got != "method PATCH is not allowed on /notes/{id}" {
		t.Errorf("message %q", got)
	}
}

func TestErrorRendering(t *testing.T) {
	got := ErrorBody(CodeNotFound, `a "quoted" <tag> & \ `+"\n\u2028", "rid-1")
	var v struct {
		Error struct{ Code, Message, RequestID string }
	}
	dec := json.NewDecoder(strings.NewReader(got))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("ErrorBody is not the error shape: %v: %s", err, got)
	}
	if v.Error.Code != "not_found" || v.Error.Message != `a "quoted" <tag> & \ `+"\n\u2028" || v.Error.RequestID != "rid-1" {
		t.Errorf("decoded %+v from %s", v, got)
	}
	if strings.Contains(got, `\u003c`) {
		t.Errorf("HTML-escaped: %s", got)
	}
	// The VTL form: parts that API Gateway renders into JSON at request time.
	vtl := ErrorJSON(CodeUnauthorized, "$context.error.messageString", `"$context.requestId"`)
	if vtl != `{"error":{"code":"unauthorized","message":$context.error.messageString,"requestId":"$context.requestId"}}` {
		t.Errorf("VTL template %s", vtl)
	}
	for kind, e := range GatewayErrors {
		if e.Code == "" || (e.Status != 0 && (e.Status < 400 || e.Status > 599)) {
			t.Errorf("gateway error %s: %+v", kind, e)
		}
	}
}

// TestValidateReportsEachMistake breaks a copy of the good table in one way per case and
// expects Validate to name that mistake.
func TestValidateReportsEachMistake(t *testing.T) {
	good := func() ([]Function, []Route, map[string]*Schema) {
		return slices.Clone(Functions), slices.Clone(Routes), map[string]*Schema{"NoteInput": Models["NoteInput"]}
	}
	validate := func(f []Function, r []Route, m map[string]*Schema) error {
		return Table{Functions: f, Routes: r, Models: m}.Validate()
	}
	cases := []struct {
		name   string
		mutate func(f []Function, r []Route, m map[string]*Schema) ([]Function, []Route)
		want   string
	}{
		{"lower-case function name", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			f[0].Name = "health"
			return f, r
		}, `function name "health": must match`},
		{"function listed twice", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			return append(f, f[0]), r
		}, "used twice"},
		{"package outside lambdas", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			f[0].Package = "cmd/health"
			return f, r
		}, "must be under lambdas/"},
		{"unknown access", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			f[0].Access = "admin"
			return f, r
		}, `access "admin"`},
		{"memory too small", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			f[0].MemoryMB = 64
			return f, r
		}, "memory 64 MB"},
		{"memory too large", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			f[0].MemoryMB = 20000
			return f, r
		}, "memory 20000 MB"},
		{"route listed twice", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			return f, append(r, r[0])
		}, "listed twice"},
		{"lower-case method", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[0].Method = "get"
			return f, r
		}, `method "get"`},
		{"path with upper case", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[0].Path = "/Health"
			return f, r
		}, `path "/Health"`},
		{"path with trailing slash", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[0].Path = "/health/"
			return f, r
		}, `path "/health/"`},
		{"unknown function", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[0].Function = "Ghost"
			return f, r
		}, `function "Ghost" is not in Functions`},
		{"unknown auth", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[0].Auth = "admin"
			return f, r
		}, `auth "admin"`},
		{"unknown model", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			r[1].Model = "Nope"
			return f, r
		}, `model "Nope" is not in Models`},
		{"function without routes", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			return append(f, Function{Name: "Idle", Package: "lambdas/idle", Access: NoTable}), r
		}, "function Idle: serves no route"},
		{"two parameter names at one level", func(f []Function, r []Route, _ map[string]*Schema) ([]Function, []Route) {
			return f, append(r, Route{Method: MethodGet, Path: "/notes/{noteId}/tags", Function: "NotesRead", Auth: User})
		}, "API Gateway allows one parameter per level"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, r, m := good()
			f, r = tc.mutate(f, r, m)
			err := validate(f, r, m)
			if err == nil {
				t.Fatalf("Validate accepted a table with %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// Several mistakes are all reported at once.
	f, r, m := good()
	f[0].Access, r[0].Method = "x", "y"
	if err := validate(f, r, m); err == nil || !strings.Contains(err.Error(), `access "x"`) || !strings.Contains(err.Error(), `method "y"`) {
		t.Errorf("want both mistakes reported, got %v", err)
	}
}

func TestModelMatchesLimits(t *testing.T) {
	m := Models["NoteInput"]
	if m.Properties["title"].MaxLength != MaxTitleChars || m.Properties["body"].MaxLength != MaxBodyBytes ||
		m.Properties["tags"].MaxItems != MaxTags || m.Properties["tags"].Items.Pattern != TagPattern {
		t.Errorf("NoteInput model disagrees with the limits: %+v", m)
	}
	for _, r := range Routes {
		if (r.Method == "POST" || r.Method == "PUT") && r.Model == "" {
			t.Errorf("%s %s takes a body but names no model", r.Method, r.Path)
		}
	}
}

// The scale hook adds valid routes on distinct new paths, spread over the functions, and
// leaves the shipped table alone.
func TestWithScaleRoutes(t *testing.T) {
	shipped := Shipped()
	scaled := shipped.WithScaleRoutes(200)
	if err := scaled.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(scaled.Routes) != len(shipped.Routes)+200 || len(Shipped().Routes) != len(Routes) {
		t.Fatalf("%d routes, shipped %d", len(scaled.Routes), len(Shipped().Routes))
	}
	paths := map[string]bool{}
	served := map[string]int{}
	for _, r := range scaled.Routes[len(shipped.Routes):] {
		paths[r.Path] = true
		served[r.Function]++
	}
	if len(paths) != 200 || len(scaled.Paths()) != len(shipped.Paths())+200 {
		t.Errorf("%d distinct new paths, want 200", len(paths))
	}
	for _, f := range shipped.Functions {
		if served[f.Name] < 200/len(shipped.Functions) {
			t.Errorf("%s serves %d generated routes", f.Name, served[f.Name])
		}
	}
}

// The NoteInput model renders to the draft-04 document the API's limits describe (the
// template's model is held equal to this rendering in test/artifact).
func TestNoteInputJSONSchema(t *testing.T) {
	got, err := json.Marshal(Models["NoteInput"].JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	pattern, _ := json.Marshal(TagPattern)
	want := fmt.Sprintf(`{"$schema":"http://json-schema.org/draft-04/schema#","additionalProperties":false,`+
		`"properties":{"body":{"maxLength":%d,"type":"string"},`+
		`"tags":{"items":{"maxLength":%d,"minLength":1,"pattern":%s,"type":"string"},"maxItems":%d,"type":"array","uniqueItems":true},`+
		`"title":{"maxLength":%d,"minLength":1,"type":"string"}},"required":["title"],"type":"object"}`,
		MaxBodyBytes, MaxTagChars, pattern, MaxTags, MaxTitleChars)
	if string(got) != want {
		t.Errorf("NoteInput renders as\n%s\nwant\n%s", got, want)
	}
	var none *Schema
	if none.JSONSchema() != nil {
		t.Error("a nil schema renders as something")
	}
}
