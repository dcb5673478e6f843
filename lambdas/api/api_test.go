package api

import (
	"slices"
	"strings"
	"testing"
)

func TestValidateAcceptsTheRouteTable(t *testing.T) {
	if err := Validate(); err != nil {
		t.Fatalf("the route table is inconsistent:\n%v", err)
	}
}

func TestRoutesOfAndFunctionByName(t *testing.T) {
	for _, f := range Functions {
		got, ok := FunctionByName(f.Name)
		if !ok || got.Name != f.Name {
			t.Errorf("FunctionByName(%q) = %v, %v", f.Name, got, ok)
		}
		if len(RoutesOf(f.Name)) == 0 {
			t.Errorf("RoutesOf(%q) is empty", f.Name)
		}
	}
	if _, ok := FunctionByName("Nope"); ok {
		t.Error("FunctionByName found a function that does not exist")
	}
	if r := RoutesOf("Nope"); r != nil {
		t.Errorf("RoutesOf(Nope) = %v", r)
	}
}

// TestValidateReportsEachMistake breaks a copy of the good table in one way per case and
// expects Validate to name that mistake.
func TestValidateReportsEachMistake(t *testing.T) {
	good := func() ([]Function, []Route, map[string]*Schema) {
		return slices.Clone(Functions), slices.Clone(Routes), map[string]*Schema{"NoteInput": Models["NoteInput"]}
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
