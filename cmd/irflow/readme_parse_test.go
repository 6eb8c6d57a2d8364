package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseWalkthrough: the README's walkthrough markup, as TestREADMEWalkthrough
// reads it.
func TestParseWalkthrough(t *testing.T) {
	readme := "# title\n\n```sh\nmake test\n```\n\n" +
		"```sh walkthrough\n" +
		"# prose before a command\n" +
		"irflow incident declare --playbook p \\\n    --title \"a # not a comment\"\n" +
		"# Declared INC-20260306-001 (workflow incident-INC-20260306-001)\n" +
		"\n" +
		"# prose after a blank line\n" +
		"irflow evidence verify INC-20260306-001   # exits 2 until collected\n" +
		"echo '{}' | irflow ownership --facts -   # exits 2\n" +
		"irflow zdsim --addr 127.0.0.1:8082   # runs until Ctrl-C\n" +
		"```\n\n" +
		"```sh walkthrough needs=temporal\ntemporal workflow list\n```\n"
	got, err := parseWalkthrough(readme)
	if err != nil {
		t.Fatal(err)
	}
	want := []walkBlock{
		{line: 7, cmds: []walkCommand{
			{line: 9, text: `irflow incident declare --playbook p  --title "a # not a comment"`,
				expect: []string{"Declared INC-20260306-001 (workflow incident-INC-20260306-001)"}},
			{line: 14, text: "irflow evidence verify INC-20260306-001   # exits 2 until collected", exits: 2, until: true},
			{line: 15, text: "echo '{}' | irflow ownership --facts -   # exits 2", exits: 2},
			{line: 16, text: "irflow zdsim --addr 127.0.0.1:8082   # runs until Ctrl-C", background: true},
		}},
		{line: 19, needs: []string{"temporal"}, cmds: []walkCommand{{line: 20, text: "temporal workflow list"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", got, want)
	}

	for _, bad := range []string{"```sh walkthrough\nls\n", "```sh walkthrough fast\nls\n```\n"} {
		if _, err := parseWalkthrough(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestExpectRE: spacing matches any spacing, "…" anything, and an id not seen
// before binds to the one printed.
func TestExpectRE(t *testing.T) {
	ids := map[string]string{}
	re, unbound := expectRE("Declared INC-20260306-001 (workflow incident-INC-20260306-001)", ids)
	m := re.FindStringSubmatch("Declared INC-20261130-004 (workflow incident-INC-20261130-004)\n")
	if m == nil || !reflect.DeepEqual(unbound, []string{"INC-20260306-001", "INC-20260306-001"}) || m[1] != "INC-20261130-004" || m[2] != m[1] {
		t.Fatalf("match %q, unbound %v", m, unbound)
	}
	ids["INC-20260306-001"] = "INC-20261130-004"
	re, unbound = expectRE("eu-gdpr-33-sa   open  …Z  2d 23h  (INC-20260306-001)", ids)
	if len(unbound) != 0 || !re.MatchString("eu-gdpr-33-sa              open       2026-12-03T21:38:51Z             2d 23h  (INC-20261130-004)") {
		t.Errorf("%s does not match the table line", re)
	}
	if re.MatchString("eu-gdpr-33-sa open 2026-12-03T21:38:51Z 2d 23h (INC-20260306-001)") {
		t.Errorf("%s matched the README's id instead of the bound one", re)
	}
}

// TestExpectREBindsHashes: a hash the README shows binds to as many hex digits of
// the one printed, and is the bound one afterwards; digits alone, and words that
// are not hex, are text.
func TestExpectREBindsHashes(t *testing.T) {
	bound := map[string]string{}
	re, unbound := expectRE("sha256: 5d0c0a1b2c3d…", bound)
	m := re.FindStringSubmatch("Notice for eu-gdpr-33-sa: drafted\nsha256: 3f7659b560ac61b9bd4f4263fe482ab9669550ac8c1fcca8d7f2fa9082d10fbd\n")
	if m == nil || !reflect.DeepEqual(unbound, []string{"5d0c0a1b2c3d"}) || m[1] != "3f7659b560ac" {
		t.Fatalf("match %q, unbound %v", m, unbound)
	}
	bound["5d0c0a1b2c3d"] = m[1]
	re, unbound = expectRE("Delivery record notice:INC-20260306-001/eu-gdpr-33-sa@5d0c0a1b2c3d.", map[string]string{"INC-20260306-001": "INC-20261201-001", "5d0c0a1b2c3d": "3f7659b560ac"})
	if len(unbound) != 0 || !re.MatchString("Delivery record notice:INC-20261201-001/eu-gdpr-33-sa@3f7659b560ac.") {
		t.Errorf("%s does not match the bound delivery record", re)
	}
	for _, line := range []string{"request 123456789012 done", "person0001@people.example", "deadbeefcafe"} {
		if _, unbound := expectRE(line, bound); len(unbound) != 0 {
			t.Errorf("%q binds %v", line, unbound)
		}
	}

	w := &walker{t: t, ids: map[string]string{"INC-20260306-001": "INC-20261201-001", "5d0c0a1b2c3d": "3f7659b560ac"}}
	script, err := w.script(walkCommand{text: "irflow notices approve INC-20260306-001 eu-gdpr-33-sa --sha256 5d0c0a1b2c3d"}, false)
	if err != nil || !strings.HasSuffix(script, "irflow notices approve INC-20261201-001 eu-gdpr-33-sa --sha256 3f7659b560ac") {
		t.Errorf("script %q, %v", script, err)
	}
	if _, err := w.script(walkCommand{line: 7, text: "irflow notices approve INC-20260306-001 x --sha256 9a41c3e07b2f"}, false); err == nil {
		t.Error("a hash no output bound was run")
	}
}
