package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var _ dispatch.CampaignStore = (*DB)(nil)

const campaignColumns = `id, kind, title, day::text, snowfall_cm, packages_per_address, district_ids,
	requests_created, created_by, created_at`

func scanCampaign(row pgx.Row) (*dispatch.Campaign, error) {
	var c dispatch.Campaign
	err := row.Scan(&c.ID, &c.Kind, &c.Title, &c.Day, &c.SnowfallCM, &c.PackagesPerAddress, &c.DistrictIDs,
		&c.RequestsCreated, &c.CreatedBy, &c.CreatedAt)
	return &c, err
}

// CreateCampaign implements dispatch.CampaignStore.
func (db *DB) CreateCampaign(ctx context.Context, actor *dispatch.User, in dispatch.CampaignInput) (*dispatch.Campaign, bool, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, false, err
	}
	now := db.Now()
	if err := in.Normalize(now); err != nil {
		return nil, false, err
	}
	var out *dispatch.Campaign
	created := false
	fingerprint := dispatch.Fingerprint("campaign", in)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if in.IdempotencyKey != "" {
			ref, found, err := seenKey(ctx, tx, actor, in.IdempotencyKey, "campaign", fingerprint)
			if err != nil {
				return err
			}
			if found {
				c, err := scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, ref))
				if err != nil {
					return translate(err, "Campaign")
				}
				out, created = c, false
				return nil
			}
		}
		if in.Kind == dispatch.CampaignFood {
			var maxCap int
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(capacity_packages), 0) FROM teams WHERE active`).Scan(&maxCap); err != nil {
				return fmt.Errorf("read team capacity: %w", err)
			}
			if in.PackagesPerAddress > maxCap {
				return dispatch.Invalid("packages_per_address",
					"No active team can carry %d packages (the largest carries %d); lower packages_per_address.", in.PackagesPerAddress, maxCap)
			}
		}
		if len(in.DistrictIDs) > 0 {
			var known int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM districts WHERE id = ANY($1)`, in.DistrictIDs).Scan(&known); err != nil {
				return fmt.Errorf("check districts: %w", err)
			}
			if known != len(uniqueIDs(in.DistrictIDs)) {
				return dispatch.Invalid("district_ids", "Some district ids do not exist.")
			}
		}
		var key *string
		if in.IdempotencyKey != "" {
			key = &in.IdempotencyKey
		}
		districts := in.DistrictIDs
		if districts == nil {
			districts = []int64{}
		}
		c, err := scanCampaign(tx.QueryRow(ctx, `INSERT INTO campaigns (kind, title, day, snowfall_cm, packages_per_address,
				district_ids, created_by, created_at, idempotency_key)
			VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9) RETURNING `+campaignColumns,
			in.Kind, in.Title, in.Day, in.SnowfallCM, in.PackagesPerAddress, districts, actor.ID, now, key))
		if err != nil {
			return translate(err, "Campaign")
		}
		if _, err := appendEvent(ctx, tx, dispatch.EventCampaignOpened, "campaign", c.ID, nil, c); err != nil {
			return err
		}
		if err := runCampaign(ctx, tx, actor, c, now); err != nil {
			return err
		}
		if in.IdempotencyKey != "" {
			if err := rememberKey(ctx, tx, actor, in.IdempotencyKey, "campaign", fingerprint, c.ID, now); err != nil {
				return err
			}
		}
		out, created = c, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// RunCampaign implements dispatch.CampaignStore.
func (db *DB) RunCampaign(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	var out *dispatch.Campaign
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		c, err := scanCampaign(tx.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return translate(err, fmt.Sprintf("Campaign %d", id))
		}
		if err := runCampaign(ctx, tx, actor, c, db.Now()); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// runCampaign creates the campaign's missing requests with one INSERT ...
// SELECT and their request.created events with one more, so a city-wide
// snowfall of a few hundred addresses is two statements, not hundreds.
// Addresses that already have a request of this campaign (unique index
// requests_campaign_care_idx) or any open request of the kind are skipped.
func runCampaign(ctx context.Context, tx pgx.Tx, actor *dispatch.User, c *dispatch.Campaign, now time.Time) error {
	kind := c.Kind.RequestKind()
	// The hotline takes this lock while checking duplicates, so a call and
	// a campaign cannot both create a request for the same yard.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('request-dup:' || $1))`, string(kind)); err != nil {
		return fmt.Errorf("lock duplicates: %w", err)
	}
	snow := 0.0
	if c.SnowfallCM != nil {
		snow = *c.SnowfallCM
	}
	packages := 0
	if kind == dispatch.FoodDelivery {
		packages = c.PackagesPerAddress
	}
	service := 30
	if kind == dispatch.FoodDelivery {
		service = 10
	}
	n, err := insertRequestsWithEvents(ctx, tx, `
		INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority,
			service_minutes, packages, notes, created_by, created_at, updated_at, campaign_id, due_day)
		SELECT $1, ca.id, ca.address_text, ca.location, ca.district_id, 'campaign',
			CASE WHEN ca.immobile THEN $2 ELSE $3 END,
			$4, $5, $6, $7, $8, $8, $9, $10::date
		FROM care_addresses ca
		WHERE ca.active AND $11 = ANY(ca.needs)
		  AND (cardinality($12::bigint[]) = 0 OR ca.district_id = ANY($12))
		  AND NOT EXISTS (SELECT 1 FROM requests o WHERE o.care_address_id = ca.id AND o.kind = $1 AND o.status = ANY($13))
		ORDER BY ca.id
		ON CONFLICT (campaign_id, care_address_id) WHERE campaign_id IS NOT NULL DO NOTHING
		RETURNING *`,
		kind, dispatch.CampaignPriority(c.Kind, snow, true), dispatch.CampaignPriority(c.Kind, snow, false),
		service, packages, c.Title, actorID(actor), now, c.ID, c.Day, c.Kind.Need(), c.DistrictIDs, dispatch.OpenStatuses)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE campaigns SET requests_created = requests_created + $2 WHERE id = $1`, c.ID, n); err != nil {
		return fmt.Errorf("count campaign requests id=%d: %w", c.ID, err)
	}
	c.RequestsCreated += n
	c.Created = n
	return nil
}

// insertRequestsWithEvents runs insertSQL (an INSERT INTO requests ...
// RETURNING *) and writes a request.created event, with its notification,
// for each inserted row, all in one statement. It returns the number of
// requests made.
func insertRequestsWithEvents(ctx context.Context, tx pgx.Tx, insertSQL string, args ...any) (int, error) {
	args = append(args, EventChannel, dispatch.EventRequestCreated)
	n := len(args)
	q := `WITH ins AS (` + insertSQL + `),
		ev AS (
			INSERT INTO events (type, entity, entity_id, payload)
			SELECT $` + fmt.Sprint(n) + `, 'request', r.id, jsonb_build_object(
				'id', r.id, 'kind', r.kind, 'care_address_id', r.care_address_id, 'address', r.address_text,
				'district_id', r.district_id, 'source', r.source, 'priority', r.priority,
				'service_minutes', r.service_minutes, 'packages', r.packages, 'notes', r.notes, 'status', r.status,
				'created_by', r.created_by, 'created_at', r.created_at, 'updated_at', r.updated_at,
				'campaign_id', r.campaign_id, 'due_day', r.due_day,
				'lat', ST_Y(r.location::geometry), 'lon', ST_X(r.location::geometry))
			FROM ins r ORDER BY r.id
			RETURNING id)
		SELECT count(pg_notify($` + fmt.Sprint(n-1) + `, ev.id::text)) FROM ev`
	var count int
	if err := tx.QueryRow(ctx, q, args...).Scan(&count); err != nil {
		return 0, translate(err, "Request")
	}
	return count, nil
}

// FindCampaignByID implements dispatch.CampaignStore.
func (db *DB) FindCampaignByID(ctx context.Context, actor *dispatch.User, id int64) (*dispatch.Campaign, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return nil, err
	}
	c, err := scanCampaign(db.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, fmt.Sprintf("Campaign %d", id))
	}
	return c, nil
}

// CreateDueVisits implements dispatch.CampaignStore. day's calendar date is
// taken as it is (the caller picks the Astana date); weekly rules match its
// ISO weekday, monthly rules its day of month.
func (db *DB) CreateDueVisits(ctx context.Context, actor *dispatch.User, day time.Time) (int, error) {
	if err := dispatch.Require(actor, dispatch.ActPlan); err != nil {
		return 0, err
	}
	date := day.Format(time.DateOnly)
	var n int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('request-dup:' || $1))`, string(dispatch.OtherKind)); err != nil {
			return fmt.Errorf("lock duplicates: %w", err)
		}
		now := db.Now()
		var err error
		n, err = insertRequestsWithEvents(ctx, tx, `
			INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority,
				service_minutes, packages, notes, created_by, created_at, updated_at, due_day)
			SELECT 'other', ca.id, ca.address_text, ca.location, ca.district_id, 'recurring', 'normal',
				20, 0, $1, $2, $3, $3, $4::date
			FROM care_addresses ca
			WHERE ca.active
			  AND ((ca.visit_rule = 'weekly' AND ca.visit_day = $5) OR (ca.visit_rule = 'monthly' AND ca.visit_day = $6))
			ORDER BY ca.id
			ON CONFLICT (care_address_id, due_day) WHERE source = 'recurring' DO NOTHING
			RETURNING *`,
			dispatch.RecurringVisitNotes, actorID(actor), now, date, dispatch.ISOWeekday(day), day.Day())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("create due visits day=%s: %w", date, err)
	}
	return n, nil
}

// SetVisitRule implements dispatch.CampaignStore.
func (db *DB) SetVisitRule(ctx context.Context, actor *dispatch.User, careAddressID int64, in dispatch.VisitRuleInput) error {
	if err := dispatch.Require(actor, dispatch.ActEditCare); err != nil {
		return err
	}
	if err := in.Normalize(); err != nil {
		return err
	}
	var rule *string
	var day *int
	if in.Rule != dispatch.VisitNone {
		r := string(in.Rule)
		rule, day = &r, &in.Day
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if in.Expect != 0 {
			var cur dispatch.Version
			if err := tx.QueryRow(ctx, `SELECT version FROM care_addresses WHERE id = $1 FOR UPDATE`, careAddressID).Scan(&cur); err != nil {
				return translate(err, fmt.Sprintf("Care address %d", careAddressID))
			}
			if err := withCurrent(ctx, tx, actor, versionedCare, careAddressID, dispatch.CheckVersion("Care address", careAddressID, in.Expect, cur)); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE care_addresses SET visit_rule = $2, visit_day = $3, updated_at = $4 WHERE id = $1`,
			careAddressID, rule, day, db.Now())
		if err != nil {
			return translate(err, "Care address")
		}
		if tag.RowsAffected() == 0 {
			return dispatch.Errorf(dispatch.ENOTFOUND, "Care address %d not found.", careAddressID)
		}
		detail := "visit rule cleared"
		if rule != nil {
			detail = fmt.Sprintf("visit rule set: %s day %d", *rule, *day)
		}
		if err := audit(ctx, tx, actor, dispatch.AuditUpdate, careAddressID, detail); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, dispatch.EventCareAddressUpdated, "care_address", careAddressID, nil,
			map[string]any{"id": careAddressID, "visit_rule": rule, "visit_day": day})
		return err
	})
}
