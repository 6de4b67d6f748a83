package loadtest

import (
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

func TestParsePhases(t *testing.T) {
	cases := []struct {
		in      string
		want    []string
		invalid bool
	}{
		{in: "create,get,list,apply,getrepo", want: AllPhases},
		{in: " Create , list,create", want: []string{"create", "list"}},
		{in: "getrepo", want: []string{"getrepo"}},
		{in: "create,delete", invalid: true},
		{in: " , ", invalid: true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParsePhases(c.in)
			if c.invalid {
				if !rhizome.Is(err, rhizome.Invalid) {
					t.Fatalf("ParsePhases(%q) = %v, %v; want an Invalid error", c.in, got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("ParsePhases(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no warmup, no big repo", func(c *Config) { c.Warmup, c.RepoRecords = 0, 0 }, true},
		{"reads only", func(c *Config) { c.Phases = []string{PhaseList, PhaseGetRepo} }, true},
		{"get without create", func(c *Config) { c.Phases = []string{PhaseGet} }, false},
		{"unknown phase", func(c *Config) { c.Phases = []string{"delete"} }, false},
		{"no concurrency", func(c *Config) { c.Concurrency = 0 }, false},
		{"no ops", func(c *Config) { c.Ops = 0 }, false},
		{"negative warmup", func(c *Config) { c.Warmup = -1 }, false},
		{"not http", func(c *Config) { c.URL = "ftp://127.0.0.1" }, false},
		{"no host", func(c *Config) { c.URL = "http://" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Defaults()
			c.change(&cfg)
			err := cfg.Validate()
			if c.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("error kind %v, want Invalid", rhizome.KindOf(err))
			}
		})
	}
}
