package web

import "github.com/qamqor/qamqor/dispatch"

// Descriptions of routes other issues added before the OpenAPI test
// landed. Their owners may move them next to their handlers.

func init() {
	form := "application/x-www-form-urlencoded"
	describe(
		// Volunteer sign-up and applications.
		apiOp{Method: "GET", Pattern: "/signup", Summary: "Public volunteer sign-up page", Tag: "pages", Auth: authPublic, RespType: html},
		apiOp{Method: "POST", Pattern: "/signup", Summary: "Sign-up form", Tag: "pages", Auth: authPublic, BodyType: form, RespType: html},
		apiOp{Method: "POST", Pattern: "/api/signup", Summary: "Apply as a volunteer (202)", Tag: "volunteers", Auth: authPublic, Body: dispatch.ApplicationInput{}, Resp: map[string]string{}, Status: 202},
		pageOp("GET", "/applications", "Volunteer applications page", "admin, coordinator"),
		apiOp{Method: "POST", Pattern: "/applications/{id}", Summary: "Decide an application (form)", Tag: "pages", BodyType: form, Status: 303},
		apiOp{Method: "GET", Pattern: "/api/applications", Summary: "Volunteer applications", Tag: "volunteers", Roles: "admin, coordinator", Resp: []dispatch.Application{}},
		apiOp{Method: "POST", Pattern: "/api/applications/{id}/decision", Summary: "Approve or reject an application", Tag: "volunteers", Roles: "admin, coordinator", Body: dispatch.DecisionInput{}, Resp: dispatch.Application{}},

		// Attendance and certificates.
		apiOp{Method: "GET", Pattern: "/api/routes/{id}/attendance", Summary: "A route's attendance sheet", Tag: "volunteers", Roles: "dispatcher, coordinator; the team's lead", Resp: dispatch.AttendanceSheet{}},
		apiOp{Method: "PUT", Pattern: "/api/routes/{id}/attendance/{volunteer}", Summary: "Set a volunteer's attendance on a route", Tag: "volunteers", Roles: "dispatcher, coordinator; the team's lead", Body: dispatch.AttendanceInput{}, Resp: dispatch.AttendanceSheet{}},
		apiOp{Method: "POST", Pattern: "/api/routes/{id}/attendance/{volunteer}/checkout", Summary: "Check a volunteer out now", Tag: "volunteers", Roles: "dispatcher, coordinator; the team's lead", Resp: dispatch.AttendanceSheet{}},
		apiOp{Method: "POST", Pattern: "/api/routes/{id}/attendance/confirm", Summary: "Confirm a route's attendance", Tag: "volunteers", Roles: "dispatcher, coordinator", Resp: dispatch.AttendanceSheet{}},
		pageOp("GET", "/certificates", "Hour certificates page", "admin, coordinator"),
		apiOp{Method: "POST", Pattern: "/certificates", Summary: "Issue a certificate (form)", Tag: "pages", BodyType: form, Status: 303},
		apiOp{Method: "POST", Pattern: "/certificates/{code}/revoke", Summary: "Revoke a certificate (form)", Tag: "pages", BodyType: form, Status: 303},
		apiOp{Method: "GET", Pattern: "/api/certificates", Summary: "Issued certificates", Tag: "volunteers", Roles: "admin, coordinator", Resp: []dispatch.Certificate{}},
		apiOp{Method: "POST", Pattern: "/api/certificates", Summary: "Issue a signed hours certificate", Tag: "volunteers", Roles: "admin, coordinator", Body: dispatch.CertificateInput{}, Resp: anyObject, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/certificates/{code}/pdf", Summary: "A certificate as PDF", Tag: "volunteers", Roles: "admin, coordinator", RespType: "application/pdf"},
		apiOp{Method: "POST", Pattern: "/api/certificates/{code}/revoke", Summary: "Revoke a certificate", Tag: "volunteers", Roles: "admin, coordinator", Body: dispatch.RevokeInput{}, Resp: anyObject},
		apiOp{Method: "GET", Pattern: "/verify/{code}", Summary: "Public check of a certificate (HTML, or JSON with Accept: application/json)", Tag: "volunteers", Auth: authPublic, RespType: html},
		apiOp{Method: "GET", Pattern: "/verify/key", Summary: "The public key certificates are signed with", Tag: "volunteers", Auth: authPublic, Resp: anyObject},

		pageOp("GET", "/requests/{id}", "One request's page", "hotline, dispatcher, admin"),
	)
}
