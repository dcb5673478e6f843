package api

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Table is one route table: the functions, the routes they serve and the request body
// models. The shipped API is Shipped(); the Backend stack, the Lambda router and the local
// server all receive a Table rather than reading the package variables, so a test can
// build and serve a table of its own (for example one generated with many routes).
type Table struct {
	Functions []Function
	Routes    []Route
	Models    map[string]*Schema
}

// Shipped returns the table of the shipped API, made of the package variables Functions,
// Routes and Models.
func Shipped() Table {
	return Table{Functions: Functions, Routes: Routes, Models: Models}
}

// Function returns the function with that name.
func (t Table) Function(name string) (Function, bool) {
	i := slices.IndexFunc(t.Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return t.Functions[i], true
}

// RoutesOf returns the routes a function serves, in table order.
func (t Table) RoutesOf(function string) []Route {
	var out []Route
	for _, r := range t.Routes {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}

// Paths returns the distinct route paths, in table order.
func (t Table) Paths() []string {
	var out []string
	for _, r := range t.Routes {
		if !slices.Contains(out, r.Path) {
			out = append(out, r.Path)
		}
	}
	return out
}

// AllowedMethods returns the methods the table serves on a path template, sorted: the
// methods of its 405 answer's Allow header (see AllowHeader).
func (t Table) AllowedMethods(path string) []Method {
	var out []Method
	for _, r := range t.Routes {
		if r.Path == path && !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	slices.Sort(out)
	return out
}

// Match finds the path template that a request path addresses, and the values of its
// parameters. The path is the part after the stage ("/notes/01J..."). It must be
// canonical: a leading slash, then segments that are neither empty nor "." or ".."; one
// trailing slash is tolerated, as API Gateway does. Anything else addresses no resource:
// the router and the local server answer 404, and never clean the path into another one.
// Where several templates match, a literal segment wins over a parameter, as in API
// Gateway's resource tree (/notes/shared before /notes/{id}).
func (t Table) Match(path string) (tmpl string, params map[string]string, ok bool) {
	segs, ok := SplitPath(path)
	if !ok {
		return "", nil, false
	}
	var best []string
	for _, p := range t.Paths() {
		tsegs, _ := SplitPath(p)
		vals, ok := matchSegments(tsegs, segs)
		if ok && (best == nil || moreLiteral(tsegs, best)) {
			tmpl, params, best = p, vals, tsegs
		}
	}
	return tmpl, params, best != nil
}

// moreLiteral reports whether template a has a literal segment where b has its first
// parameter that a does not share.
func moreLiteral(a, b []string) bool {
	for i := range a {
		_, pa := ParamName(a[i])
		_, pb := ParamName(b[i])
		if pa != pb {
			return pb
		}
	}
	return false
}

// SplitPath splits a canonical path into its segments (see Table.Match); ok is false for
// any other path. "/" has no segment and is not canonical: no route lives there.
func SplitPath(path string) (segs []string, ok bool) {
	if !strings.HasPrefix(path, "/") || len(path) < 2 {
		return nil, false
	}
	segs = strings.Split(strings.TrimSuffix(path[1:], "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return nil, false
		}
	}
	return segs, true
}

// ParamName returns the name of a path template segment such as "{id}".
func ParamName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

func matchSegments(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, t := range tmpl {
		if name, ok := ParamName(t); ok {
			if params == nil {
				params = map[string]string{}
			}
			params[name] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

var (
	namePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	pathPattern = regexp.MustCompile(`^(/([a-z0-9-]+|\{[a-z][A-Za-z0-9]*\}))+$`)
	methods     = []Method{MethodGet, MethodPost, MethodPut, MethodPatch, MethodDelete}
	accesses    = []Access{NoTable, ReadTable, ReadWriteTable}
	auths       = []Auth{Public, User}
)

// Validate checks that the table is consistent, so a typo in a new line fails the tests
// and synth instead of deploying a broken API. Every problem is reported at once.
func (t Table) Validate() error {
	var errs []error
	names := map[string]bool{}
	for _, f := range t.Functions {
		if !namePattern.MatchString(f.Name) {
			errs = append(errs, fmt.Errorf("function name %q: must match %s", f.Name, namePattern))
		}
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("function name %q: used twice", f.Name))
		}
		names[f.Name] = true
		if !strings.HasPrefix(f.Package, "lambdas/") {
			errs = append(errs, fmt.Errorf("function %s: package %q must be under lambdas/", f.Name, f.Package))
		}
		if !slices.Contains(accesses, f.Access) {
			errs = append(errs, fmt.Errorf("function %s: access %q: allowed are %v", f.Name, f.Access, accesses))
		}
		if f.MemoryMB != 0 && (f.MemoryMB < 128 || f.MemoryMB > 10240) {
			errs = append(errs, fmt.Errorf("function %s: memory %d MB: allowed is 128..10240", f.Name, f.MemoryMB))
		}
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	for _, r := range t.Routes {
		key := string(r.Method) + " " + r.Path
		if seen[key] {
			errs = append(errs, fmt.Errorf("route %s: listed twice", key))
		}
		seen[key] = true
		if !slices.Contains(methods, r.Method) {
			errs = append(errs, fmt.Errorf("route %s: method %q: allowed are %v", key, r.Method, methods))
		}
		if !pathPattern.MatchString(r.Path) {
			errs = append(errs, fmt.Errorf("route %s: path %q: must be /segments of a-z0-9- or {param}", key, r.Path))
		}
		if !names[r.Function] {
			errs = append(errs, fmt.Errorf("route %s: function %q is not in Functions", key, r.Function))
		}
		used[r.Function] = true
		if !slices.Contains(auths, r.Auth) {
			errs = append(errs, fmt.Errorf("route %s: auth %q: allowed are %v", key, r.Auth, auths))
		}
		if r.Model != "" && t.Models[r.Model] == nil {
			errs = append(errs, fmt.Errorf("route %s: model %q is not in Models", key, r.Model))
		}
	}
	// API Gateway allows one parameter name per resource: /notes/{id} and /notes/{noteId}
	// cannot both exist.
	params := map[string]string{} // parent path -> parameter segment
	for _, p := range t.Paths() {
		segs, _ := SplitPath(p)
		parent := ""
		for _, seg := range segs {
			if _, ok := ParamName(seg); ok {
				if other, ok := params[parent]; ok && other != seg {
					errs = append(errs, fmt.Errorf("path %s: %s and %s under %q: API Gateway allows one parameter per level", p, other, seg, parent+"/"))
				}
				params[parent] = seg
			}
			parent += "/" + seg
		}
	}
	for _, f := range t.Functions {
		if !used[f.Name] {
			errs = append(errs, fmt.Errorf("function %s: serves no route", f.Name))
		}
	}
	return errors.Join(errs...)
}

// WithScaleRoutes returns the table with n more GET routes, each on a new path
// (/scale-000, /scale-001, ...), served in turn by the table's functions and
// user-authorized. It is a test-only hook: the scale benchmark (test/scale) synthesizes
// the app with it to measure what endpoints cost, without editing Routes.
func (t Table) WithScaleRoutes(n int) Table {
	out := Table{Functions: t.Functions, Models: t.Models, Routes: append([]Route(nil), t.Routes...)}
	for i := range n {
		out.Routes = append(out.Routes, Route{
			Method: MethodGet, Path: fmt.Sprintf("/scale-%03d", i),
			Function: t.Functions[i%len(t.Functions)].Name, Auth: User,
		})
	}
	return out
}
