package geo

import "testing"

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Кенесары 40", "кенесары 40"},
		{"улица Кенесары, 40", "кенесары 40"},
		{"Кенесары көшесі 40", "кенесары 40"},
		{"ул. Кенесары, д. 40", "кенесары 40"},
		{"  КЕНЕСАРЫ   көшесi,40 ", "кенесары 40"},
		{"г. Астана, ул. Кенесары 40", "кенесары 40"},
		{"Тұран даңғылы 12/1", "тұран 12/1"},
		{"пр-т Туран 12 / 1", "туран 12/1"},
		{"Туран 12 /1", "туран 12/1"},
		{"просп. Туран, 12", "туран 12"},
		{"проспект Туран", "туран"},
		{"Turan Avenue 40a", "turan 40а"},
		{"Кенесары 40 А", "кенесары 40а"},
		{"Кенесары 69А", "кенесары 69а"},
		{"Ақмешіт тас жолы", "ақмешіт"},
		{"шоссе Алаш", "алаш"},
		{"1-й Алматинский переулок", "1й алматинский"},
		{"пер. Тихий", "тихий"},
		{"Тәуелсіздік тұйығы", "тәуелсіздік"},
		{"бульвар Нұржол", "нұржол"},
		{"Нұржол гүлзары", "нұржол"},
		{"мкр Самал, 5", "самал 5"},
		{"3 микрорайон", "3"},
		{"Жетісу ықшамауданы 1", "жетісу 1"},
		{"ЖК «Хайвил», 2", "хайвил 2"},
		{"Семёнова 7", "семенова 7"},
		{"Kenesary street 40", "kenesary 40"},
		{"Street A/Street B", "a b"},
		{"", ""},
		{" , . ", ""},
	}
	for _, tt := range tests {
		if got := NormalizeAddress(tt.in); got != tt.want {
			t.Errorf("NormalizeAddress(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitHouse(t *testing.T) {
	tests := []struct{ in, street, house string }{
		{"улица Кенесары, 40", "кенесары", "40"},
		{"Кенесары", "кенесары", ""},
		{"Кенесары 6/1", "кенесары", "6/1"},
		{"Кенесары 69 А", "кенесары", "69а"},
		{"70 лет Октября көшесі 5", "70 лет октября", "5"},
		{"101-я улица", "101я", ""},
		{"40", "40", ""},
	}
	for _, tt := range tests {
		s, h := SplitHouse(tt.in)
		if s != tt.street || h != tt.house {
			t.Errorf("SplitHouse(%q)=(%q, %q), want (%q, %q)", tt.in, s, h, tt.street, tt.house)
		}
	}
}

func TestTransliterate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Кенесары көшесі", "kenesary koshesi"},
		{"Тұран", "turan"},
		{"Қабанбай Батыр", "kabanbay batyr"},
		{"Әлихан Бөкейхан", "alikhan bokeykhan"},
		{"Жұбанов", "zhubanov"},
		{"Шоқан Уәлиханов", "shokan ualikhanov"},
		{"Мәңгілік Ел", "mangilik el"},
		{"Сейфуллина 12/1", "seyfullina 12/1"},
		{"Abai 1", "abai 1"},
	}
	for _, tt := range tests {
		if got := Transliterate(tt.in); got != tt.want {
			t.Errorf("Transliterate(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLatinKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Кенесары көшесі 40", "kenesari 40"},
		{"Kenesary 40", "kenesari 40"},
		{"Kenessary street 40", "kenesari 40"},
		{"Kenesari 40", "kenesari 40"},
		{"Тұран даңғылы", "turan"},
		{"проспект Туран", "turan"},
		{"Turan Avenue", "turan"},
		{"Абай даңғылы 10А", "abai 10a"},
		{"Abay avenue 10a", "abai 10a"},
		{"Qabanbay Batyr", "kabanbai batir"},
		{"Қабанбай батыр даңғылы", "kabanbai batir"},
	}
	for _, tt := range tests {
		if got := LatinKey(tt.in); got != tt.want {
			t.Errorf("LatinKey(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}
