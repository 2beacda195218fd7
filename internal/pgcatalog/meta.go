package pgcatalog

// Field metadata that a PostgreSQL stream carries so a PostgreSQL target can
// recreate the types a column uses (docs/FORMAT.md).
const (
	FieldEnum   = "dbmig.pg.enum"
	FieldDomain = "dbmig.pg.domain"
)

// EnumMeta is the value of FieldEnum, as JSON.
type EnumMeta struct {
	Schema string   `json:"schema"`
	Name   string   `json:"name"`
	Labels []string `json:"labels"`
}

// DomainMeta is the value of FieldDomain, as JSON.
type DomainMeta struct {
	Schema  string  `json:"schema"`
	Name    string  `json:"name"`
	Base    string  `json:"base"` // base type with its typmod, e.g. "numeric(10,2)"
	NotNull bool    `json:"not_null,omitempty"`
	Default string  `json:"default,omitempty"`
	Checks  []Check `json:"checks,omitempty"`
}
