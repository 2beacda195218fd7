package convert

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/internal/testdb"
)

// TestMariaDBRefusesCommasInSetMembers backs the set → text[] rule
// (splitting on commas): the server refuses a set member with a comma,
// while an enum label may hold one.
func TestMariaDBRefusesCommasInSetMembers(t *testing.T) {
	my := testdb.MySQL(t)
	db, err := sql.Open("mysql", my.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE s (v SET('a,b','c'))"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "set") {
		t.Errorf("a set member with a comma: %v, want an error", err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE e (v ENUM('a,b','c'))"); err != nil {
		t.Errorf("an enum label with a comma: %v", err)
	}
}
