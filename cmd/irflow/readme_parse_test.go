package main

import (
	"reflect"
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
