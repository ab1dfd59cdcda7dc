package dispatch

import "context"

// Consent: Qamqor stores whether a pensioner agreed to be registered and
// visited (CareAddress.Consent). A request for a pensioner without
// recorded consent is planned only after a dispatcher explicitly approves
// the visit (for example after calling them); the planner leaves it
// unassigned with ReasonNoConsent until then.

// ReasonNoConsent is the unassigned reason of a request held back for want
// of consent.
const ReasonNoConsent = "no recorded consent: a dispatcher must approve the visit"

// VisitAllowed is the one rule: a request may be planned when it is not for
// a registered pensioner, the pensioner consented, or a dispatcher
// approved the visit.
func VisitAllowed(forPensioner, consent, approved bool) bool {
	return !forPensioner || consent || approved
}

// ActApproveVisit is approving a visit to a pensioner without consent.
const ActApproveVisit = ActPlan

// VisitApprover approves visits.
type VisitApprover interface {
	// ApproveVisit records that actor approved visiting the request's
	// pensioner; EFORBIDDEN unless the actor plans, ENOTFOUND.
	ApproveVisit(ctx context.Context, actor *User, requestID int64) error
}

// EventVisitApproved is written when a dispatcher approves a visit.
const EventVisitApproved = "request.visit_approved"
