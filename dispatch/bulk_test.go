package dispatch_test

import (
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

func TestCleanAddress(t *testing.T) {
	for _, c := range []struct{ in, addr, flat, city string }{
		{"ул. Кенесары, 40, кв. 12", "ул. Кенесары, 40", "12", ""},
		{"г. Астана, Бейбітшілік көшесі, 42", "Бейбітшілік көшесі, 42", "", ""},
		{"Астана қ., Кенесары 40 пәтер 5", "Кенесары 40", "5", ""},
		{"г. Алматы, ул. Абая, 150", "г. Алматы, ул. Абая, 150", "", "Алматы"},
		{"Караганда, ул. Ерубаева 10", "Караганда, ул. Ерубаева 10", "", "Караганда"},
		{"Шымкент қ., Тәуке хан 5", "Шымкент қ., Тәуке хан 5", "", "Шымкент"},
		{"город Косшы, ул. Республики 1", "город Косшы, ул. Республики 1", "", "Косшы"},
		// Astana's streets named after cities, and "городок", are not cities.
		{"улица Алматы, 11", "улица Алматы, 11", "", ""},
		{"Түркістан көшесі, 8", "Түркістан көшесі, 8", "", ""},
		{"улица ВИП городок, 3", "улица ВИП городок, 3", "", ""},
		{"Астана-Караганда трасса, 5", "Астана-Караганда трасса, 5", "", ""},
	} {
		addr, flat, city := dispatch.CleanAddress(c.in)
		if addr != c.addr || flat != c.flat || city != c.city {
			t.Errorf("CleanAddress(%q) = %q, %q, %q; want %q, %q, %q", c.in, addr, flat, city, c.addr, c.flat, c.city)
		}
	}
}

func TestPhoneDigits(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"+7 701 555 12 34", "77015551234", true},
		{"8 (702) 111-22-33", "77021112233", true},
		{"7015551234", "77015551234", true},
		{"87172 55 12 34", "77172551234", true},
		{"12-34", "", false},
		{"8-701-12", "", false},
		{"+1 212 555 1234", "", false},
		{"tel 87015551234", "", false},
	} {
		got, ok := dispatch.PhoneDigits(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("PhoneDigits(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestMapHeader(t *testing.T) {
	m, err := dispatch.MapHeader(dispatch.ImportCare, []string{"№", "Ф.И.О.", "Тел.", "Мекенжай", "Кв.", "Тілі", "Маломобильный", "Примечание"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "name", "phone", "address", "flat", "language", "immobile", "notes"}
	for i, f := range want {
		if m.Fields[i] != f {
			t.Errorf("column %d = %q, want %q", i, m.Fields[i], f)
		}
	}
	if _, err := dispatch.MapHeader(dispatch.ImportCare, []string{"ФИО", "Адрес", "Address"}, nil); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("two address columns: err=%v, want invalid", err)
	}
	if _, err := dispatch.MapHeader(dispatch.ImportCare, []string{"Кто", "Где"}, nil); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("unknown columns: err=%v, want invalid", err)
	}
	m, err = dispatch.MapHeader(dispatch.ImportCare, []string{"Кто", "Где"}, map[string]string{"Кто": "name", "Где": "address"})
	if err != nil || m.Fields[0] != "name" || m.Fields[1] != "address" {
		t.Errorf("explicit mapping=%v err=%v", m.Fields, err)
	}
}
