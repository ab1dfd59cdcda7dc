package web

import "github.com/qamqor/qamqor/dispatch"

// Descriptions of the routes registered up to the first OpenAPI build.
// New routes describe themselves with describe(...) in an init function of
// their own file (see /work/coord/openapi.md).

var (
	anyObject = map[string]any{}
	html      = "text/html"
	pageOp    = func(method, pattern, summary, roles string) apiOp {
		return apiOp{Method: method, Pattern: pattern, Summary: summary, Tag: "pages", Auth: authSession, Roles: roles, RespType: html}
	}
	qPage = []apiParam{{Name: "q", Description: "search text"}, {Name: "limit", Type: "integer"}, {Name: "offset", Type: "integer"}}
	qDay  = []apiParam{{Name: "day", Description: "YYYY-MM-DD, Astana time"}}
)

func init() {
	describe(
		// Health and static files.
		apiOp{Method: "GET", Pattern: "/healthz", Summary: "Liveness: the process serves", Tag: "operations", Auth: authPublic, RespType: "text/plain"},
		apiOp{Method: "GET", Pattern: "/readyz", Summary: "Readiness: the database answers (503 otherwise)", Tag: "operations", Auth: authPublic, RespType: "text/plain"},
		apiOp{Method: "GET", Pattern: "/static/*", Summary: "Embedded scripts, styles and images (content-hashed names)", Tag: "pages", Auth: authPublic, RespType: "application/octet-stream"},
		apiOp{Method: "GET", Pattern: "/team-sw.js", Summary: "Service worker of the team page (offline reload)", Tag: "pages", Auth: authPublic, RespType: "text/javascript"},
		apiOp{Method: "GET", Pattern: "/api/openapi.json", Summary: "This OpenAPI 3.1 description", Tag: "operations", Auth: authPublic, Resp: anyObject},

		// Sessions.
		apiOp{Method: "POST", Pattern: "/api/login", Summary: "Log in; sets the session cookie", Tag: "auth", Auth: authPublic, Body: loginInput{}, Resp: meJSON{}},
		apiOp{Method: "GET", Pattern: "/api/me", Summary: "The logged-in user, CSRF token and pages", Tag: "auth", Roles: "everyone logged in", Resp: meJSON{}},
		apiOp{Method: "POST", Pattern: "/api/logout", Summary: "Log out", Tag: "auth", Roles: "everyone logged in", Status: 204},
		apiOp{Method: "GET", Pattern: "/login", Summary: "Login page", Tag: "pages", Auth: authPublic, RespType: html},
		apiOp{Method: "POST", Pattern: "/login", Summary: "Login form", Tag: "pages", Auth: authPublic, BodyType: "application/x-www-form-urlencoded", Status: 303},
		apiOp{Method: "POST", Pattern: "/logout", Summary: "Logout form", Tag: "pages", BodyType: "application/x-www-form-urlencoded", Status: 303},

		// Requests.
		apiOp{Method: "GET", Pattern: "/api/requests/", Summary: "List requests (X-Total-Count)", Tag: "requests", Roles: "hotline, dispatcher, admin",
			Query: []apiParam{{Name: "status", Description: "comma-separated statuses"}, {Name: "kind", Description: "comma-separated kinds"}, {Name: "limit", Type: "integer"}, {Name: "offset", Type: "integer"}},
			Resp:  []requestJSON{}},
		apiOp{Method: "POST", Pattern: "/api/requests/", Summary: "Create a request (Idempotency-Key; 409 with duplicate_id unless force)", Tag: "requests",
			Roles: "hotline, dispatcher", Body: dispatch.RequestInput{}, Resp: requestJSON{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/requests/duplicates", Summary: "Open requests a new one would duplicate", Tag: "requests", Roles: "hotline, dispatcher",
			Query: []apiParam{{Name: "kind", Required: true}, {Name: "lat", Type: "number"}, {Name: "lon", Type: "number"}, {Name: "care_address_id", Type: "integer"}},
			Resp:  []requestJSON{}},
		apiOp{Method: "GET", Pattern: "/api/requests/{id}", Summary: "One request (ETag)", Tag: "requests", Roles: "hotline, dispatcher, admin", Resp: requestJSON{}},
		apiOp{Method: "POST", Pattern: "/api/requests/{id}/status", Summary: "Change a request's status (If-Match optional)", Tag: "requests", Roles: "dispatcher",
			Body: statusInput{}, Resp: requestJSON{}},
		apiOp{Method: "GET", Pattern: "/api/geocode", Summary: "Address, name or phone search", Tag: "requests", Roles: "hotline, dispatcher, admin",
			Query: []apiParam{{Name: "q", Required: true}, {Name: "limit", Type: "integer"}}, Resp: []dispatch.Candidate{}},
		apiOp{Method: "GET", Pattern: "/api/geocode/reverse", Summary: "Nearest house or care address to a point", Tag: "requests", Roles: "hotline, dispatcher, admin",
			Query: []apiParam{{Name: "lat", Type: "number", Required: true}, {Name: "lon", Type: "number", Required: true}}, Resp: dispatch.Candidate{}},

		// Planning and routes.
		apiOp{Method: "POST", Pattern: "/api/plans", Summary: "Start planning a day (202 and a job)", Tag: "planning", Roles: "dispatcher", Body: dispatch.PlanScope{}, Resp: anyObject, Status: 202},
		apiOp{Method: "GET", Pattern: "/api/plans/{id}", Summary: "A planning job's progress and result", Tag: "planning", Roles: "dispatcher", Resp: dispatch.PlanningJob{}},
		apiOp{Method: "GET", Pattern: "/api/routes", Summary: "Routes of a day", Tag: "planning", Roles: "dispatcher", Query: qDay, Resp: []routeJSON{}},
		apiOp{Method: "GET", Pattern: "/api/routes/{id}", Summary: "One route with its stops (ETag)", Tag: "planning", Roles: "dispatcher", Resp: routeJSON{}},
		apiOp{Method: "POST", Pattern: "/api/routes/publish", Summary: "Publish draft routes to their teams", Tag: "planning", Roles: "dispatcher", Body: publishInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/stops/{id}/move", Summary: "Move a pending stop (If-Match optional)", Tag: "planning", Roles: "dispatcher", Body: moveInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/stops/{id}/lock", Summary: "Lock or unlock a stop against re-planning", Tag: "planning", Roles: "dispatcher", Body: lockInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/stops/{id}/remove", Summary: "Take a pending stop off its route", Tag: "planning", Roles: "dispatcher", Resp: anyObject},

		// The field.
		apiOp{Method: "GET", Pattern: "/api/teams/{id}/route", Summary: "A team's route of a day", Tag: "field", Roles: "dispatcher; the team's lead", Query: qDay, Resp: routeJSON{}},
		apiOp{Method: "GET", Pattern: "/api/teams/{id}/members", Summary: "A team's roster", Tag: "field", Roles: "dispatcher; the team's lead", Resp: teamMembers{}},
		apiOp{Method: "POST", Pattern: "/api/routes/{id}/start", Summary: "Start a route with the volunteers present (Idempotency-Key)", Tag: "field", Roles: "dispatcher; the team's lead", Body: dispatch.StartInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/routes/{id}/finish", Summary: "Finish a route (Idempotency-Key)", Tag: "field", Roles: "dispatcher; the team's lead", Body: dispatch.FinishInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/stops/{id}/status", Summary: "Report a stop's outcome (Idempotency-Key)", Tag: "field", Roles: "dispatcher; the team's lead", Body: dispatch.StopUpdateInput{}, Resp: anyObject},
		apiOp{Method: "POST", Pattern: "/api/teams/{id}/position", Summary: "The team's position from the lead's phone", Tag: "field", Roles: "the team's lead", Body: dispatch.PositionInput{}, Resp: anyObject},
		apiOp{Method: "GET", Pattern: "/api/alerts", Summary: "Welfare alerts", Tag: "field", Roles: "dispatcher", Query: []apiParam{{Name: "status", Description: "open or handled"}}, Resp: []dispatch.Alert{}},
		apiOp{Method: "POST", Pattern: "/api/alerts/{id}/handle", Summary: "Mark an alert handled with a note", Tag: "field", Roles: "dispatcher", Body: dispatch.HandleAlertInput{}, Resp: dispatch.Alert{}},
		apiOp{Method: "GET", Pattern: "/api/map-config", Summary: "Tile URL and centre for map pages", Tag: "field", Roles: "everyone logged in", Resp: mapConfig{}},

		// Campaigns.
		apiOp{Method: "POST", Pattern: "/api/campaigns", Summary: "Open a snowfall or food campaign (Idempotency-Key)", Tag: "campaigns", Roles: "dispatcher", Body: dispatch.CampaignInput{}, Resp: dispatch.Campaign{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/campaigns/{id}", Summary: "One campaign", Tag: "campaigns", Roles: "dispatcher", Resp: dispatch.Campaign{}},
		apiOp{Method: "POST", Pattern: "/api/campaigns/{id}/run", Summary: "Create the campaign's requests", Tag: "campaigns", Roles: "dispatcher", Resp: dispatch.Campaign{}},
		apiOp{Method: "POST", Pattern: "/api/recurring/run", Summary: "Create the recurring visits due on a day", Tag: "campaigns", Roles: "dispatcher", Body: recurringInput{}, Resp: anyObject},
		apiOp{Method: "PUT", Pattern: "/api/care-addresses/{id}/visit-rule", Summary: "Set a care address's recurring visit rule", Tag: "campaigns", Roles: "dispatcher, admin", Body: dispatch.VisitRuleInput{}, Resp: anyObject},

		// Maps.
		apiOp{Method: "GET", Pattern: "/api/roads", Summary: "Road geometry for the map (GeoJSON)", Tag: "maps", Roles: "everyone logged in", Resp: anyObject},
		apiOp{Method: "GET", Pattern: "/api/districts", Summary: "District polygons (GeoJSON)", Tag: "maps", Roles: "everyone logged in", Resp: anyObject},
		apiOp{Method: "GET", Pattern: "/api/map/requests", Summary: "Open requests for the dispatcher's map", Tag: "maps", Roles: "dispatcher", Query: []apiParam{{Name: "limit", Type: "integer"}}, Resp: anyObject},
		apiOp{Method: "GET", Pattern: "/api/teams/positions", Summary: "Last known team positions", Tag: "maps", Roles: "dispatcher", Resp: anyObject},

		// Registry.
		apiOp{Method: "GET", Pattern: "/api/care-addresses", Summary: "Care addresses (personal data, audited)", Tag: "registry", Roles: "dispatcher, admin", Query: qPage, Resp: []careJSON{}},
		apiOp{Method: "POST", Pattern: "/api/care-addresses", Summary: "Add a care address", Tag: "registry", Roles: "dispatcher, admin", Body: careInput{}, Resp: careJSON{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/care-addresses/{id}", Summary: "One care address (ETag)", Tag: "registry", Roles: "dispatcher, admin", Resp: careJSON{}},
		apiOp{Method: "PUT", Pattern: "/api/care-addresses/{id}", Summary: "Replace a care address (If-Match required)", Tag: "registry", Roles: "dispatcher, admin", Body: careInput{}, Resp: careJSON{}},
		apiOp{Method: "GET", Pattern: "/api/teams", Summary: "Teams", Tag: "registry", Roles: "dispatcher, admin", Query: qPage, Resp: []teamJSON{}},
		apiOp{Method: "POST", Pattern: "/api/teams", Summary: "Add a team", Tag: "registry", Roles: "admin", Body: teamInput{}, Resp: teamJSON{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/api/teams/{id}", Summary: "One team (ETag)", Tag: "registry", Roles: "dispatcher, admin", Resp: teamJSON{}},
		apiOp{Method: "PUT", Pattern: "/api/teams/{id}", Summary: "Replace a team (If-Match required)", Tag: "registry", Roles: "admin", Body: teamInput{}, Resp: teamJSON{}},
		apiOp{Method: "GET", Pattern: "/api/volunteers", Summary: "Volunteers", Tag: "registry", Roles: "admin", Query: qPage, Resp: []volunteerJSON{}},
		apiOp{Method: "POST", Pattern: "/api/volunteers", Summary: "Add a volunteer", Tag: "registry", Roles: "admin", Body: volunteerInput{}, Resp: volunteerJSON{}, Status: 201},
		apiOp{Method: "PUT", Pattern: "/api/volunteers/{id}", Summary: "Replace a volunteer (If-Match required)", Tag: "registry", Roles: "admin", Body: volunteerInput{}, Resp: volunteerJSON{}},
		apiOp{Method: "GET", Pattern: "/api/organisations", Summary: "Organisations", Tag: "registry", Roles: "admin", Query: qPage, Resp: []dispatch.Organisation{}},
		apiOp{Method: "POST", Pattern: "/api/organisations", Summary: "Add an organisation", Tag: "registry", Roles: "admin", Body: organisationInput{}, Resp: dispatch.Organisation{}, Status: 201},
		apiOp{Method: "PUT", Pattern: "/api/organisations/{id}", Summary: "Replace an organisation (If-Match required)", Tag: "registry", Roles: "admin", Body: organisationInput{}, Resp: dispatch.Organisation{}},
		apiOp{Method: "GET", Pattern: "/api/users", Summary: "Users", Tag: "registry", Roles: "admin", Query: qPage, Resp: []dispatch.User{}},
		apiOp{Method: "POST", Pattern: "/api/users", Summary: "Add a user", Tag: "registry", Roles: "admin", Body: userInput{}, Resp: dispatch.User{}, Status: 201},
		apiOp{Method: "PUT", Pattern: "/api/users/{id}", Summary: "Replace a user (If-Match required)", Tag: "registry", Roles: "admin", Body: userInput{}, Resp: dispatch.User{}},

		// Reports.
		apiOp{Method: "GET", Pattern: "/api/reports/{name}", Summary: "A report as JSON, or CSV with the .csv suffix", Tag: "reports", Roles: "dispatcher, admin",
			Query: []apiParam{{Name: "from", Required: true}, {Name: "to", Required: true}}, Resp: reportTable{}},

		// Open311 and integrations.
		apiOp{Method: "GET", Pattern: "/open311/v2/discovery.{format}", Summary: "GeoReport v2 discovery (format json or xml)", Tag: "open311", Auth: authPublic, Resp: open311Discovery{}},
		apiOp{Method: "GET", Pattern: "/open311/v2/services.{format}", Summary: "Service list, names by Accept-Language", Tag: "open311", Auth: authPublic, Resp: []open311ServiceJSON{}},
		apiOp{Method: "GET", Pattern: "/open311/v2/services/{code}.{format}", Summary: "Service definition with attributes", Tag: "open311", Auth: authPublic, Resp: open311Definition{}},
		apiOp{Method: "GET", Pattern: "/open311/v2/requests.{format}", Summary: "Public view of requests (street only, no personal data)", Tag: "open311", Auth: authPublic,
			Query: []apiParam{{Name: "service_request_id"}, {Name: "service_code"}, {Name: "start_date"}, {Name: "end_date"}, {Name: "status", Description: "open, closed"}, {Name: "api_key", Description: "optional; counts against the key's rate"}},
			Resp:  []open311Request{}},
		apiOp{Method: "POST", Pattern: "/open311/v2/requests.{format}", Summary: "File a request with an API key (the hotline's intake)", Tag: "open311", Auth: authAPIKey,
			BodyType: "application/x-www-form-urlencoded", Resp: []open311Created{}, Status: 201},
		apiOp{Method: "GET", Pattern: "/open311/v2/requests/{id}.{format}", Summary: "Public view of one request", Tag: "open311", Auth: authPublic, Resp: []open311Request{}},
		apiOp{Method: "GET", Pattern: "/api/api-keys", Summary: "Open311 API keys (never their secrets)", Tag: "integrations", Roles: "admin", Resp: []dispatch.APIKey{}},
		apiOp{Method: "POST", Pattern: "/api/api-keys", Summary: "Create an API key; the answer holds its secret, once", Tag: "integrations", Roles: "admin", Body: dispatch.APIKeyInput{}, Resp: apiKeyCreated{}, Status: 201},
		apiOp{Method: "POST", Pattern: "/api/api-keys/{id}/revoke", Summary: "Revoke an API key", Tag: "integrations", Roles: "admin", Resp: dispatch.APIKey{}},

		// Live.
		apiOp{Method: "GET", Pattern: "/ws", Summary: "WebSocket of committed events (topic=dispatch|team:<id>, since=<id>)", Tag: "live", Roles: "everyone logged in",
			Query: []apiParam{{Name: "topic"}, {Name: "since", Type: "integer"}}, Status: 101},

		// Pages.
		pageOp("GET", "/", "Home page", "everyone logged in"),
		pageOp("GET", "/hotline", "Hotline page", "hotline, dispatcher"),
		pageOp("GET", "/dispatch", "Dispatcher's map", "dispatcher"),
		pageOp("GET", "/team", "Team lead's phone page", "dispatcher, team lead"),
		pageOp("GET", "/registry", "Registry page", "dispatcher, admin"),
		pageOp("GET", "/reports", "Reports page", "dispatcher, admin"),
		pageOp("GET", "/integrations", "Integrations page: API keys and webhooks", "admin"),
	)
}
