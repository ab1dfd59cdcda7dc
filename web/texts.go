package web

import (
	"fmt"
	"net/http"
)

// Server-side texts of the sign-up, application, certificate and
// verification pages and of the certificate PDF, in Kazakh, Russian and
// English. These pages are rendered (or printed) on the server, so their
// words cannot come from i18n.js. Every key has all three languages;
// TestTextsComplete checks it.

// langs are the supported languages, the default first.
var langs = []string{"kk", "ru", "en"}

// pageLang picks the language: ?lang= when valid (the links on these
// public pages), else langOf's choice for pages (cookie, Accept-Language,
// Kazakh).
func pageLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); isLang(l) {
		return l
	}
	if l := langOf(r); isLang(l) {
		return l
	}
	return "kk"
}

func isLang(l string) bool {
	for _, x := range langs {
		if x == l {
			return true
		}
	}
	return false
}

// ptext is a translator for one language.
type ptext string

// T returns the text of key in the language, formatted with args.
func (l ptext) T(key string, args ...any) string {
	m, ok := texts[key]
	if !ok {
		return key
	}
	s := m[string(l)]
	if s == "" {
		s = m["en"]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Lang is the language code, for templates.
func (l ptext) Lang() string { return string(l) }

var texts = map[string]map[string]string{
	// Certificate PDF and verification page.
	"cert.title":      {"kk": "Волонтёрлік сертификат", "ru": "Сертификат волонтёра", "en": "Volunteer certificate"},
	"cert.certifies":  {"kk": "Осы құжат төмендегі адамның волонтёрлік жұмысын растайды:", "ru": "Настоящим подтверждается волонтёрская работа:", "en": "This certifies the volunteer work of:"},
	"cert.volunteer":  {"kk": "Волонтёр", "ru": "Волонтёр", "en": "Volunteer"},
	"cert.org":        {"kk": "Ұйым", "ru": "Организация", "en": "Organisation"},
	"cert.period":     {"kk": "Кезең", "ru": "Период", "en": "Period"},
	"cert.period_fmt": {"kk": "%s – %s", "ru": "с %s по %s", "en": "%s to %s"},
	"cert.hours":      {"kk": "Расталған сағаттар", "ru": "Подтверждённые часы", "en": "Verified hours"},
	"cert.visits":     {"kk": "Сапарлар", "ru": "Визиты", "en": "Visits"},
	"cert.code":       {"kk": "Сертификат коды", "ru": "Код сертификата", "en": "Certificate code"},
	"cert.issued":     {"kk": "Берілген күні", "ru": "Дата выдачи", "en": "Issued"},
	"cert.verify_at":  {"kk": "Түпнұсқалығын тексеру (QR-код):", "ru": "Проверить подлинность (QR-код):", "en": "Check that it is genuine (QR code):"},
	"cert.rule": {
		"kk": "Сағаттар диспетчер немесе үйлестіруші растаған келу және кету уақыттарынан есептеледі; қабаттасқан бағыттар бір рет саналады; күніне ең көбі 10 сағат.",
		"ru": "Часы считаются по времени прихода и ухода, подтверждённому диспетчером или координатором; пересекающиеся маршруты учитываются один раз; не более 10 часов в день.",
		"en": "Hours are counted from check-in and check-out times confirmed by a dispatcher or coordinator; overlapping routes count once; at most 10 hours a day.",
	},
	"cert.signed": {
		"kk": "Жазба Ed25519 қолтаңбасымен қорғалған; ашық кілт: %s",
		"ru": "Запись подписана Ed25519; открытый ключ: %s",
		"en": "The record is signed with Ed25519; public key: %s",
	},
	"cert.font":                   {"kk": "Қаріп: %s", "ru": "Шрифт: %s", "en": "Font: %s"},
	"verify.title":                {"kk": "Сертификатты тексеру", "ru": "Проверка сертификата", "en": "Certificate verification"},
	"verify.valid":                {"kk": "Сертификат жарамды: қолтаңба дұрыс.", "ru": "Сертификат действителен: подпись верна.", "en": "The certificate is valid: the signature matches."},
	"verify.revoked":              {"kk": "Сертификат кері қайтарылды.", "ru": "Сертификат отозван.", "en": "The certificate has been revoked."},
	"verify.revoked_on":           {"kk": "Кері қайтарылған күні", "ru": "Дата отзыва", "en": "Revoked on"},
	"verify.invalid":              {"kk": "Сертификат жарамсыз: жазба қолтаңбаға сәйкес келмейді.", "ru": "Сертификат недействителен: запись не совпадает с подписью.", "en": "The certificate is not valid: the record does not match its signature."},
	"verify.not_found":            {"kk": "Мұндай кодпен сертификат жоқ.", "ru": "Сертификата с таким кодом нет.", "en": "There is no certificate with this code."},
	"verify.bad_code":             {"kk": "Сертификат коды 7K3M-Q9XD-2HTP сияқты болады.", "ru": "Код сертификата выглядит так: 7K3M-Q9XD-2HTP.", "en": "A certificate code looks like 7K3M-Q9XD-2HTP."},
	"signup.title":                {"kk": "Волонтёр болу", "ru": "Стать волонтёром", "en": "Become a volunteer"},
	"signup.intro":                {"kk": "Ұйымды таңдап, өтінім қалдырыңыз. Үйлестіруші өтінімді қарап, сізбен хабарласады.", "ru": "Выберите организацию и оставьте заявку. Координатор рассмотрит её и свяжется с вами.", "en": "Choose an organisation and apply. Its coordinator reviews the application and contacts you."},
	"signup.org":                  {"kk": "Ұйым", "ru": "Организация", "en": "Organisation"},
	"signup.name":                 {"kk": "Аты-жөні", "ru": "ФИО", "en": "Full name"},
	"signup.birth":                {"kk": "Туған күні", "ru": "Дата рождения", "en": "Date of birth"},
	"signup.phone":                {"kk": "Телефон", "ru": "Телефон", "en": "Phone"},
	"signup.languages":            {"kk": "Тілдер", "ru": "Языки", "en": "Languages"},
	"signup.motivation":           {"kk": "Өзіңіз туралы (міндетті емес)", "ru": "О себе (необязательно)", "en": "About you (optional)"},
	"signup.minor":                {"kk": "18 жасқа толмағандар үшін: ата-ананың немесе қамқоршының деректері мен келісімі", "ru": "Для младше 18 лет: данные и согласие родителя или опекуна", "en": "Under 18: a parent's or guardian's details and consent"},
	"signup.guardian":             {"kk": "Ата-ананың / қамқоршының аты-жөні", "ru": "ФИО родителя / опекуна", "en": "Parent's / guardian's name"},
	"signup.guardian_ph":          {"kk": "Ата-ананың / қамқоршының телефоны", "ru": "Телефон родителя / опекуна", "en": "Parent's / guardian's phone"},
	"signup.guardian_ok":          {"kk": "Ата-ана / қамқоршы волонтёрлікке келісім береді", "ru": "Родитель / опекун согласен на участие в волонтёрстве", "en": "The parent / guardian consents to the volunteering"},
	"signup.consent":              {"kk": "Берілген деректерді өңдеуге келісемін", "ru": "Согласен(на) на обработку указанных данных", "en": "I agree to the processing of the data given"},
	"signup.submit":               {"kk": "Өтінім жіберу", "ru": "Отправить заявку", "en": "Apply"},
	"signup.thanks":               {"kk": "Рахмет! Өтініміңіз қабылданды. Үйлестіруші сізбен телефон арқылы хабарласады.", "ru": "Спасибо! Заявка принята. Координатор свяжется с вами по телефону.", "en": "Thank you! Your application has been received. The coordinator will contact you by phone."},
	"signup.too_many":             {"kk": "Тым көп өтінім. %d минуттан кейін қайталаңыз.", "ru": "Слишком много заявок. Повторите через %d мин.", "en": "Too many applications. Try again in %d minutes."},
	"signup.error":                {"kk": "Өтінімді тексеріңіз:", "ru": "Проверьте заявку:", "en": "Please check the application:"},
	"signup.err.organisation_id":  {"kk": "Ұйымды таңдаңыз.", "ru": "Выберите организацию.", "en": "Choose an organisation."},
	"signup.err.full_name":        {"kk": "Аты-жөніңізді жазыңыз (ең көбі 200 таңба).", "ru": "Укажите ФИО (не более 200 символов).", "en": "Your full name is required (200 characters at most)."},
	"signup.err.birth_date":       {"kk": "Туған күніңізді көрсетіңіз; волонтёрлер кемінде 12 жаста болуы керек.", "ru": "Укажите дату рождения; волонтёрам должно быть не меньше 12 лет.", "en": "Give your date of birth; volunteers must be at least 12."},
	"signup.err.phone":            {"kk": "Телефон нөмірі 10–15 цифрдан тұруы керек, мысалы +7 701 234 5678.", "ru": "Телефон должен содержать 10–15 цифр, например +7 701 234 5678.", "en": "Give a phone number with 10 to 15 digits, e.g. +7 701 234 5678."},
	"signup.err.languages":        {"kk": "Тілдер kk, ru, en сияқты кодтармен жазылады.", "ru": "Языки указываются кодами kk, ru, en.", "en": "Languages are codes such as kk, ru, en."},
	"signup.err.motivation":       {"kk": "Ең көбі 2000 таңба.", "ru": "Не более 2000 символов.", "en": "2000 characters at most."},
	"signup.err.guardian_name":    {"kk": "18 жасқа толмағандар үшін ата-ананың немесе қамқоршының аты-жөні міндетті.", "ru": "Для младше 18 лет нужно ФИО родителя или опекуна.", "en": "Under 18: a parent's or guardian's name is required."},
	"signup.err.guardian_phone":   {"kk": "18 жасқа толмағандар үшін ата-ананың немесе қамқоршының телефоны міндетті.", "ru": "Для младше 18 лет нужен телефон родителя или опекуна.", "en": "Under 18: a parent's or guardian's phone is required."},
	"signup.err.guardian_consent": {"kk": "18 жасқа толмағандар үшін ата-ананың немесе қамқоршының келісімі міндетті.", "ru": "Для младше 18 лет нужно согласие родителя или опекуна.", "en": "Under 18: the parent's or guardian's consent is required."},
	"signup.err.consent":          {"kk": "Деректерді өңдеуге келісім беріңіз.", "ru": "Подтвердите согласие на обработку данных.", "en": "Please agree to the processing of the data you give."},
	"nav.signup":                  {"kk": "Волонтёр болу", "ru": "Стать волонтёром", "en": "Become a volunteer"},
	"apps.title":                  {"kk": "Волонтёрлердің өтінімдері", "ru": "Заявки волонтёров", "en": "Volunteer applications"},
	"apps.none":                   {"kk": "Қаралмаған өтінім жоқ.", "ru": "Нерассмотренных заявок нет.", "en": "No applications are waiting."},
	"apps.approve":                {"kk": "Қабылдау", "ru": "Принять", "en": "Approve"},
	"apps.reject":                 {"kk": "Бас тарту", "ru": "Отклонить", "en": "Reject"},
	"apps.minor":                  {"kk": "18 жасқа толмаған", "ru": "младше 18", "en": "under 18"},
	"apps.guardian":               {"kk": "Қамқоршы", "ru": "Опекун", "en": "Guardian"},
	"apps.status":                 {"kk": "Күйі", "ru": "Статус", "en": "Status"},
	"apps.pending":                {"kk": "күтуде", "ru": "ожидает", "en": "pending"},
	"apps.approved":               {"kk": "қабылданды", "ru": "принята", "en": "approved"},
	"apps.rejected":               {"kk": "бас тартылды", "ru": "отклонена", "en": "rejected"},
	"apps.decided":                {"kk": "Шешім сақталды.", "ru": "Решение сохранено.", "en": "Decision saved."},
	"att.title":                   {"kk": "Расталмаған қатысу", "ru": "Присутствие к подтверждению", "en": "Attendance to confirm"},
	"att.help":                    {"kk": "Аяқталған бағыттардың келу және кету уақыттары. Растағаннан кейін ғана сағаттар есептеледі.", "ru": "Время прихода и ухода на завершённых маршрутах. Часы засчитываются только после подтверждения.", "en": "Check-in and check-out times of finished routes. Hours count only once confirmed."},
	"att.none":                    {"kk": "Растауды күтетін бағыт жоқ.", "ru": "Нет маршрутов, ожидающих подтверждения.", "en": "No routes are waiting for confirmation."},
	"att.route":                   {"kk": "Бағыт", "ru": "Маршрут", "en": "Route"},
	"att.in":                      {"kk": "Келді", "ru": "Пришёл(ла)", "en": "Check-in"},
	"att.out":                     {"kk": "Кетті", "ru": "Ушёл(ла)", "en": "Check-out"},
	"att.confirm":                 {"kk": "Растау", "ru": "Подтвердить", "en": "Confirm"},
	"att.confirmed":               {"kk": "Қатысу расталды.", "ru": "Присутствие подтверждено.", "en": "Attendance confirmed."},
	"certs.title":                 {"kk": "Сертификаттар", "ru": "Сертификаты", "en": "Certificates"},
	"certs.issue":                 {"kk": "Сертификат беру", "ru": "Выдать сертификат", "en": "Issue a certificate"},
	"certs.volunteer_id":          {"kk": "Волонтёр (ID)", "ru": "Волонтёр (ID)", "en": "Volunteer (id)"},
	"certs.from":                  {"kk": "Бастап", "ru": "С", "en": "From"},
	"certs.to":                    {"kk": "Дейін", "ru": "По", "en": "To"},
	"certs.language":              {"kk": "PDF тілі", "ru": "Язык PDF", "en": "PDF language"},
	"certs.revoke":                {"kk": "Кері қайтару", "ru": "Отозвать", "en": "Revoke"},
	"certs.reason":                {"kk": "Себебі", "ru": "Причина", "en": "Reason"},
	"certs.pdf":                   {"kk": "PDF", "ru": "PDF", "en": "PDF"},
	"certs.verify":                {"kk": "Тексеру беті", "ru": "Страница проверки", "en": "Verification page"},
	"certs.none":                  {"kk": "Әзірге сертификат жоқ.", "ru": "Сертификатов пока нет.", "en": "No certificates yet."},
	"status.valid":                {"kk": "жарамды", "ru": "действителен", "en": "valid"},
	"status.revoked":              {"kk": "кері қайтарылды", "ru": "отозван", "en": "revoked"},
	"status.invalid":              {"kk": "жарамсыз", "ru": "недействителен", "en": "invalid"},
}
