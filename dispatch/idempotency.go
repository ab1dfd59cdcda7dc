package dispatch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Fingerprint identifies what an Idempotency-Key was used for: a hash of
// the scope (what the call does, and on what) and the normalised input. A
// retry sends the same body and gets the same fingerprint; the same key
// with another body does not, and is refused by KeyReused.
func Fingerprint(scope string, input any) string {
	h := sha256.New()
	h.Write([]byte(scope))
	h.Write([]byte{0})
	b, err := json.Marshal(input)
	if err != nil {
		// Inputs are plain structs; should one ever fail to encode, its
		// key still works without the body check.
		b = nil
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// KeyReused decides a key seen before: nil when it was used for the same
// scope and body (the caller replays the first answer), else the 422 that
// names the key. A stored fingerprint of "" (recorded before fingerprints
// were kept) matches any body of the same scope.
func KeyReused(key, storedScope, storedFingerprint, scope, fingerprint string) error {
	if storedScope == scope && (storedFingerprint == "" || storedFingerprint == fingerprint) {
		return nil
	}
	return Invalid("Idempotency-Key", "Idempotency-Key %q was already used for a different request; send a new key for each request.", key)
}
