package postgres

import "testing"

func TestSameTypeName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"shop.orders_status", `"shop"."orders_status"`, true},
		{"character varying(20)", "character varying(20)", true},
		{`"Shop".mood`, `"Shop"."mood"`, true},
		{"integer", "bigint", false},
		{"shop.a", "shop.b", false},
	} {
		if got := sameTypeName(c.a, c.b); got != c.want {
			t.Errorf("sameTypeName(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
