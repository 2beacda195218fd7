package analyze

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDDL writes the target DDL as one SQL script: pre-data, then
// post-data and views, each section marked so that a loader can run the
// pre-data part, copy the data, then run the rest.
func (r *Report) WriteDDL(w io.Writer) error {
	if r.Script == nil {
		return fmt.Errorf("no DDL: it is built for PostgreSQL targets only")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- dbmigrate analyze: %s -> %s, %s\n", r.Source, r.Target, r.Generated.Format(time.RFC3339))
	if len(r.Options) > 0 {
		fmt.Fprintf(&b, "-- conversion options: %s\n", strings.Join(r.Options, " "))
	}
	section := func(name string, stmts []string) {
		fmt.Fprintf(&b, "\n-- section: %s\n", name)
		for _, s := range stmts {
			b.WriteString(s + ";\n")
		}
	}
	section("pre-data (before the data is copied)", r.Script.PreData)
	section("post-data (after the data is copied)", r.Script.PostData)
	section("views", r.Script.Views)
	_, err := io.WriteString(w, b.String())
	return err
}

// SplitDDL cuts a script WriteDDL wrote into its sections' text.
func SplitDDL(script string) (pre, post string) {
	pre, rest, _ := strings.Cut(script, "\n-- section: post-data")
	return pre, "-- section: post-data" + rest
}

// md escapes text for a Markdown table cell.
func md(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, "`", "\\`")
}

// Human formats a byte count.
func Human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func scope(f Finding) string {
	if f.Exact {
		return "exact"
	}
	return "sample"
}

// WriteMarkdown writes the report for people (GitHub-flavoured Markdown).
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Migration analysis: %s → %s\n\n", r.SourceEngine, r.Target)
	p("Source `%s`, generated %s.", md(r.Source), r.Generated.Format(time.RFC3339))
	if len(r.Options) > 0 {
		p(" Conversion options: `%s`.", strings.Join(r.Options, " "))
	}
	p("\n\n## Summary\n\n")
	p("| tables | rows (catalog) | bytes (catalog) | lossy / unsupported | data findings | objects for manual work | estimated copy time |\n|---|---|---|---|---|---|---|\n")
	p("| %d | %d | %s | %d | %d | %d | %s |\n\n", r.Totals.Tables, r.Totals.Rows, Human(r.Totals.Bytes), r.Totals.Lossy, r.Totals.Findings, r.Totals.Manual, r.Estimate.Duration)
	p("Sample: up to %d rows per table, %d rows read in %s. Findings marked *exact* were counted over every row in SQL (tables up to %s); *sample* ones only over the sample.\n\n",
		r.Sample.RowsPerTable, r.Sample.Rows, r.Sample.Read.Round(time.Millisecond), Human(r.Sample.ExactMaxBytes))
	p("Estimated copy time %s for %s at %s/s. Assumption: %s.\n", r.Estimate.Duration, Human(r.Estimate.Bytes), Human(int64(r.Estimate.BytesPerSec)), md(r.Estimate.Assumption))
	if r.DDL != nil {
		p("\nTarget DDL: %d statements before the data, %d after, %d views.", r.DDL.PreData, r.DDL.PostData, r.DDL.Views)
		if r.DDL.Checked != "" {
			p(" %s.", r.DDL.Checked)
		}
		p("\n")
	}
	if len(r.Server) > 0 {
		p("\n## Server\n\n| finding | columns | detail | why |\n|---|---|---|---|\n")
		for _, f := range r.Server {
			p("| %s | %s | %s | %s |\n", f.Kind, md(f.Column), md(f.Example), md(f.Why))
		}
	}
	p("\n## Objects\n\n")
	if len(r.Objects) == 0 {
		p("No views, triggers, procedures, functions or events.\n")
	} else {
		p("| kind | name | status | note |\n|---|---|---|---|\n")
		for _, o := range r.Objects {
			p("| %s | %s | %s | %s |\n", o.Kind, md(o.Name), o.Status, md(o.Note))
		}
	}
	p("\n## Tables\n")
	for _, t := range r.Tables {
		p("\n### %s → %s\n\n%d rows, %s (catalog); %d rows sampled", md(t.Source), md(t.Target), t.Rows, Human(t.Bytes), t.SampledRows)
		if t.Exact {
			p("; checks in SQL over every row")
		}
		p(".\n\n| column | source type | target type | rule |\n|---|---|---|---|\n")
		for _, c := range t.Columns {
			name := c.Source
			if c.Target != c.Source {
				name += " → " + c.Target
			}
			rule := md(c.Rule)
			if c.Lossy {
				rule = "**lossy**: " + rule
			}
			p("| %s | %s | %s | %s |\n", md(name), md(c.SourceType), md(c.TargetType), rule)
		}
		if len(t.Issues) > 0 {
			p("\nLossy, unsupported or changed:\n\n")
			for _, i := range t.Issues {
				col := ""
				if i.Column != "" {
					col = " (" + md(i.Column) + ")"
				}
				p("- **%s**%s: %s", i.Kind, col, md(i.What))
				if i.Why != "" {
					p(": %s", md(i.Why))
				}
				p("\n")
			}
		}
		if len(t.Findings) > 0 {
			p("\nData findings:\n\n| finding | column | rows | scope | example | why | fix |\n|---|---|---|---|---|---|---|\n")
			for _, f := range t.Findings {
				p("| %s | %s | %d | %s | %s | %s | %s |\n", f.Kind, md(f.Column), f.Count, scope(f), md(f.Example), md(f.Why), md(f.Fix))
			}
		}
	}
	if len(r.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", md(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// htmlPage renders the same content as WriteMarkdown. html/template
// escapes every value (names, SQL, notes come from the source database).
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{"human": Human, "scope": scope, "ms": func(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Migration analysis: {{.SourceEngine}} → {{.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.lossy{color:#a40}.manual{color:#a40}code{font-size:90%}
</style></head><body>
<h1>Migration analysis: {{.SourceEngine}} → {{.Target}}</h1>
<p>Source <code>{{.Source}}</code>, generated {{.Generated.Format "2006-01-02T15:04:05Z07:00"}}.{{if .Options}} Conversion options: {{range .Options}}<code>{{.}}</code> {{end}}{{end}}</p>
<h2>Summary</h2>
<table><tr><th>tables</th><th>rows (catalog)</th><th>bytes (catalog)</th><th>lossy / unsupported</th><th>data findings</th><th>objects for manual work</th><th>estimated copy time</th></tr>
<tr><td>{{.Totals.Tables}}</td><td>{{.Totals.Rows}}</td><td>{{human .Totals.Bytes}}</td><td>{{.Totals.Lossy}}</td><td>{{.Totals.Findings}}</td><td>{{.Totals.Manual}}</td><td>{{.Estimate.Duration}}</td></tr></table>
<p>Sample: up to {{.Sample.RowsPerTable}} rows per table, {{.Sample.Rows}} rows read in {{ms .Sample.Read}}. Findings marked <em>exact</em> were counted over every row in SQL (tables up to {{human .Sample.ExactMaxBytes}}); <em>sample</em> ones only over the sample.</p>
<p>Estimated copy time {{.Estimate.Duration}} for {{human .Estimate.Bytes}}. Assumption: {{.Estimate.Assumption}}.</p>
{{with .DDL}}<p>Target DDL: {{.PreData}} statements before the data, {{.PostData}} after, {{.Views}} views.{{if .Checked}} {{.Checked}}.{{end}}</p>{{end}}
{{if .Server}}<h2>Server</h2><table><tr><th>finding</th><th>columns</th><th>detail</th><th>why</th></tr>
{{range .Server}}<tr><td>{{.Kind}}</td><td>{{.Column}}</td><td>{{.Example}}</td><td>{{.Why}}</td></tr>{{end}}</table>{{end}}
<h2>Objects</h2>
{{if .Objects}}<table><tr><th>kind</th><th>name</th><th>status</th><th>note</th></tr>
{{range .Objects}}<tr><td>{{.Kind}}</td><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.Note}}</td></tr>{{end}}</table>
{{else}}<p>No views, triggers, procedures, functions or events.</p>{{end}}
<h2>Tables</h2>
{{range .Tables}}<h3>{{.Source}} → {{.Target}}</h3>
<p>{{.Rows}} rows, {{human .Bytes}} (catalog); {{.SampledRows}} rows sampled{{if .Exact}}; checks in SQL over every row{{end}}.</p>
<table><tr><th>column</th><th>source type</th><th>target type</th><th>rule</th></tr>
{{range .Columns}}<tr><td>{{.Source}}{{if ne .Target .Source}} → {{.Target}}{{end}}</td><td>{{.SourceType}}</td><td>{{.TargetType}}</td><td>{{if .Lossy}}<strong class="lossy">lossy</strong>: {{end}}{{.Rule}}</td></tr>
{{end}}</table>
{{if .Issues}}<p>Lossy, unsupported or changed:</p><ul>{{range .Issues}}<li><strong>{{.Kind}}</strong>{{if .Column}} ({{.Column}}){{end}}: {{.What}}{{if .Why}}: {{.Why}}{{end}}</li>{{end}}</ul>{{end}}
{{if .Findings}}<p>Data findings:</p><table><tr><th>finding</th><th>column</th><th>rows</th><th>scope</th><th>example</th><th>why</th><th>fix</th></tr>
{{range .Findings}}<tr><td>{{.Kind}}</td><td>{{.Column}}</td><td>{{.Count}}</td><td>{{scope .}}</td><td>{{.Example}}</td><td>{{.Why}}</td><td>{{.Fix}}</td></tr>{{end}}</table>{{end}}
{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteHTML writes the report as one self-contained HTML page.
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlPage.Execute(w, r)
}
