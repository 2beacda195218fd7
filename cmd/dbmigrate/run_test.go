package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func TestVerbsNotBuiltYet(t *testing.T) {
	for _, verb := range []string{"rollback"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"dbmigrate", verb, "--source", "x"}, &out, &errOut)
		if code := command.ExitCode(err); code != 1 || err == nil || !strings.Contains(err.Error(), "not built yet (issue 6)") {
			t.Errorf("%s: exit %d, error %v", verb, code, err)
		}
	}
}

func TestAnalyzeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"dbmigrate", "analyze", "--target-engine", "postgres"},
		{"dbmigrate", "analyze", "--source", "mysql://u@h/db"},
		{"dbmigrate", "analyze", "--source", "mysql://u@h/db", "--target-engine", "postgres", "--target", "mysql://u@h/db"},
		{"dbmigrate", "analyze", "--source", "mysql://u@h/db", "--target-engine", "oracle"},
		{"dbmigrate", "frobnicate"},
		{"dbmigrate", "migrate", "--target", "postgres://u@h/db"},
		{"dbmigrate", "migrate", "--source", "postgres://u@h/db", "--target", "postgres://u@h/db2", "extra"},
		{"dbmigrate", "cutover", "--max-lag", "soon"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		if code := command.ExitCode(err); code != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args[1:], code, err)
		}
	}
}

// TestAnalyzeWritesReports runs the verb end to end: Markdown on stdout,
// JSON, HTML and DDL files, flags given after the verb in any order.
func TestAnalyzeWritesReports(t *testing.T) {
	src := testdb.MySQL(t)
	src.Exec(t, "CREATE TABLE items (id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, made date NOT NULL, note text, FULLTEXT KEY ft_note (note))",
		"INSERT INTO items (made, note) VALUES ('0000-00-00', 'a <b>bold</b> note'), ('2024-01-01', NULL)",
		"CREATE PROCEDURE p_touch() UPDATE items SET note = note")
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"dbmigrate", "analyze", "--json", filepath.Join(dir, "r.json"), "--source", src.URL,
		"--html", filepath.Join(dir, "r.html"), "--target-engine", "postgres", "--ddl", filepath.Join(dir, "r.sql"), "--log-level", "warn"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\nstderr: %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "# Migration analysis: mysql → postgres") || !strings.Contains(out.String(), "zero-date") {
		t.Errorf("markdown report:\n%s", out.String())
	}
	var rep struct {
		Objects []struct{ Name, Status string }
		Totals  struct{ Manual int }
	}
	data, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Totals.Manual != 1 {
		t.Errorf("json: %v, %+v", err, rep)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "r.html"))
	if !strings.Contains(string(page), "p_touch") {
		t.Error("html page lacks the procedure")
	}
	ddl, _ := os.ReadFile(filepath.Join(dir, "r.sql"))
	if !strings.Contains(string(ddl), `CREATE TABLE "`) || !strings.Contains(string(ddl), "-- section: post-data") {
		t.Errorf("ddl:\n%s", ddl)
	}
}
