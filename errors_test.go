package rhizome

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	base := E("parse did", Invalid, "bad")
	wrapped := fmt.Errorf("create account: %w", base)
	outer := E("serve", Other, wrapped)
	cases := []struct {
		err  error
		want Kind
	}{
		{nil, Other},
		{errors.New("plain"), Other},
		{base, Invalid},
		{wrapped, Invalid},
		{outer, Invalid},
		{E("get", NotFound, outer), NotFound},
	}
	for _, c := range cases {
		if got := KindOf(c.err); got != c.want {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if !Is(wrapped, Invalid) || Is(nil, Other) {
		t.Fatal("Is wrong")
	}
}

func TestError_Error(t *testing.T) {
	if got := E("parse did", Invalid, "bad").Error(); got != "parse did: bad" {
		t.Fatalf("got %q", got)
	}
	if got := E("x", NotFound, nil).Error(); got != "x: not found" {
		t.Fatalf("got %q", got)
	}
	if got := Errorf("", Invalid, "n=%d", 3).Error(); got != "n=3" {
		t.Fatalf("got %q", got)
	}
}

func TestError_Named(t *testing.T) {
	base := Errorf("apply writes", Conflict, "record changed")
	named := base.Named("InvalidSwap")
	wrapped := fmt.Errorf("create record: %w", named)
	if got := NameOf(wrapped); got != "InvalidSwap" {
		t.Fatalf("NameOf = %q", got)
	}
	if KindOf(wrapped) != Conflict {
		t.Fatalf("kind lost: %v", KindOf(wrapped))
	}
	if NameOf(base) != "" || base.Name != "" {
		t.Fatal("Named changed its receiver")
	}
	if NameOf(errors.New("plain")) != "" {
		t.Fatal("plain error has a name")
	}
}
