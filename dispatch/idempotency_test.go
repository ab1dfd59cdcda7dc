package dispatch

import "testing"

func TestKeyReused(t *testing.T) {
	a := Fingerprint("request", RequestInput{Kind: SnowClearing, AddressText: "Абая 10"})
	b := Fingerprint("request", RequestInput{Kind: SnowClearing, AddressText: "Абая 12"})
	if a == b {
		t.Fatal("different bodies share a fingerprint")
	}
	if a != Fingerprint("request", RequestInput{Kind: SnowClearing, AddressText: "Абая 10"}) {
		t.Fatal("the same body has two fingerprints")
	}
	if err := KeyReused("k", "request", a, "request", a); err != nil {
		t.Fatalf("same body: %v", err)
	}
	if err := KeyReused("k", "request", "", "request", a); err != nil {
		t.Fatalf("legacy key without fingerprint: %v", err)
	}
	err := KeyReused("k-42", "request", a, "request", b)
	if ErrorCode(err) != EINVALID {
		t.Fatalf("other body: code=%q, want %q", ErrorCode(err), EINVALID)
	}
	if e := err.(*Error); e.Field != "Idempotency-Key" || ErrorMessage(err) == "" {
		t.Fatalf("error=%+v, want the Idempotency-Key field", e)
	}
	if ErrorCode(KeyReused("k", "campaign", a, "request", a)) != EINVALID {
		t.Fatal("a key used for another kind of call must be refused")
	}
}
