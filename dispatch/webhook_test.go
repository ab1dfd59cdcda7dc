package dispatch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSignWebhook checks the signature against the example of the
// Standard Webhooks specification: secret, id, timestamp and payload as
// published there, and the signature it gives.
func TestSignWebhook(t *testing.T) {
	got, err := SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature=%s, want %s", got, want)
	}
	if _, err := SignWebhook("whsec_not base64!", "msg_1", time.Now(), nil); err == nil {
		t.Errorf("a broken secret signs")
	}
}

func TestWebhookDataUntrusted(t *testing.T) {
	care := int64(12)
	r := &Request{ID: 5, Kind: FoodDelivery, CareAddressID: &care, AddressText: "улица Кенесары, 40, кв. 17",
		Location: [2]float64{71.43041, 51.12821}, Notes: "Aigul Serikova, +77015550101", Status: StatusNew, Source: SourceHotline}
	payload, _ := json.Marshal(r.View())
	e := Event{ID: 9, Type: EventRequestCreated, Payload: payload}
	data, careID, err := WebhookData(e, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(data)
	for _, secret := range []string{"Aigul", "7701", "кв", "40", "17", "care_address", "notes", "71.43041", "51.12821"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("untrusted data %s holds %q", b, secret)
		}
	}
	if careID != nil {
		t.Errorf("untrusted data reported personal data of care address %d", *careID)
	}
	if data["street"] != "улица Кенесары" {
		t.Errorf("street=%v, want улица Кенесары", data["street"])
	}
	data, careID, _ = WebhookData(e, true)
	if data["notes"] != r.Notes || careID == nil || *careID != care {
		t.Errorf("trusted data=%v care=%v, want the notes and care address %d", data, careID, care)
	}
}

func TestWebhookInput(t *testing.T) {
	for _, tc := range []struct {
		in    WebhookInput
		field string
	}{
		{WebhookInput{URL: "ftp://x.org/h", Events: []string{WebhookAlert}}, "url"},
		{WebhookInput{URL: "https://u:p@x.org/h", Events: []string{WebhookAlert}}, "url"},
		{WebhookInput{URL: "https://x.org/h"}, "events"},
		{WebhookInput{URL: "https://x.org/h", Events: []string{"route.deleted"}}, "events"},
	} {
		err := tc.in.Normalize()
		var e *Error
		if err == nil || !errorsAs(err, &e) || e.Field != tc.field {
			t.Errorf("Normalize(%+v)=%v, want EINVALID on %s", tc.in, err, tc.field)
		}
	}
	in := WebhookInput{URL: " https://x.org/h ", Events: []string{WebhookAlert, WebhookAlert}}
	if err := in.Normalize(); err != nil || in.URL != "https://x.org/h" || len(in.Events) != 1 {
		t.Errorf("Normalize=%v %+v, want trimmed URL and one event", err, in)
	}
}

func errorsAs(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}
