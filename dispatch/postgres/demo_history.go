package postgres

import (
	"context"
	"fmt"
	"math/rand"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// HistoryCounts says how many rows LoadDemoHistory inserted.
type HistoryCounts struct {
	Routes, Stops, Attendance, Alerts int
}

// historyMarker is the event type that marks the history as loaded.
const historyMarker = "demo.history"

// Demo history sizes: four weeks of finished days, some teams out each day.
const (
	historyDays       = 28
	historyTeamsDaily = 8
)

// LoadDemoHistory adds four weeks of finished work before now's Astana day
// to the loaded demo set, so reports, hours and certificates have figures
// on a fresh `make run`: each day a rotating subset of teams ran a route of
// 3 to 6 visits to care addresses (mostly done; some nobody answered,
// raising a welfare alert a dispatcher later handled), with the team's
// members checked in at the start and out at the finish (one in five
// leaving early), and the attendance confirmed. It is deterministic for a
// seed and loads once: a marker event makes a second call add nothing.
func (db *DB) LoadDemoHistory(ctx context.Context, seed int64, now time.Time) (HistoryCounts, error) {
	var n HistoryCounts
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(demoLockKey)); err != nil {
			return fmt.Errorf("lock demo history: %w", err)
		}
		var loaded bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE type = $1)`, historyMarker).Scan(&loaded); err != nil {
			return fmt.Errorf("check demo history marker: %w", err)
		}
		if loaded {
			return nil
		}
		var err error
		if n, err = loadHistory(ctx, tx, seed, now); err != nil {
			return err
		}
		_, err = appendEvent(ctx, tx, historyMarker, "demo", 0, nil, n)
		return err
	})
	if err != nil {
		return HistoryCounts{}, fmt.Errorf("load demo history: %w", err)
	}
	return n, nil
}

type historyCare struct{ id int64 }

func loadHistory(ctx context.Context, tx pgx.Tx, seed int64, now time.Time) (HistoryCounts, error) {
	var n HistoryCounts
	rows, err := tx.Query(ctx, `SELECT id FROM teams WHERE active ORDER BY id`)
	if err != nil {
		return n, fmt.Errorf("read teams: %w", err)
	}
	teams, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(teams) == 0 {
		return n, err
	}
	members := map[int64][]int64{}
	rows, err = tx.Query(ctx, `SELECT team_id, volunteer_id FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
		WHERE v.active ORDER BY team_id, volunteer_id`)
	if err != nil {
		return n, fmt.Errorf("read members: %w", err)
	}
	for rows.Next() {
		var t, v int64
		if err := rows.Scan(&t, &v); err != nil {
			rows.Close()
			return n, err
		}
		members[t] = append(members[t], v)
	}
	rows.Close()
	rows, err = tx.Query(ctx, `SELECT id FROM care_addresses WHERE active ORDER BY id`)
	if err != nil {
		return n, fmt.Errorf("read care addresses: %w", err)
	}
	var cares []historyCare
	for rows.Next() {
		var c historyCare
		if err := rows.Scan(&c.id); err != nil {
			rows.Close()
			return n, err
		}
		cares = append(cares, c)
	}
	rows.Close()
	if len(cares) == 0 {
		return n, nil
	}
	r := rand.New(rand.NewSource(seed))
	today, err := dispatch.ParseLocalDate("day", dispatch.LocalDate(now))
	if err != nil {
		return n, err
	}
	for d := historyDays; d >= 1; d-- {
		dayStart := today.AddDate(0, 0, -d)
		day := dispatch.LocalDate(dayStart)
		snowy := r.Intn(3) == 0
		for i := 0; i < historyTeamsDaily && i < len(teams); i++ {
			team := teams[(d*historyTeamsDaily+i)%len(teams)]
			if err := historyRoute(ctx, tx, r, &n, team, day, dayStart, snowy, members[team], cares); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// historyRoute inserts one finished, confirmed route with its visits,
// requests, attendance and any welfare alerts.
func historyRoute(ctx context.Context, tx pgx.Tx, r *rand.Rand, n *HistoryCounts, team int64, day string, dayStart time.Time,
	snowy bool, crew []int64, cares []historyCare) error {
	start := dayStart.Add(time.Duration(9*60+r.Intn(120)) * time.Minute)
	var routeID int64
	if err := tx.QueryRow(ctx, `INSERT INTO routes (team_id, day, status, created_at, published_at, started_at)
		VALUES ($1, $2::date, 'finished', $3, $3, $4) RETURNING id`, team, day, start.Add(-14*time.Hour), start).Scan(&routeID); err != nil {
		return fmt.Errorf("insert history route: %w", err)
	}
	n.Routes++
	t := start
	stops := 3 + r.Intn(4)
	for seq := 1; seq <= stops; seq++ {
		c := cares[r.Intn(len(cares))]
		kind, packages := dispatch.FoodDelivery, 1
		if snowy && r.Intn(2) == 0 {
			kind, packages = dispatch.SnowClearing, 0
		}
		t = t.Add(time.Duration(8+r.Intn(15)) * time.Minute)
		arrived := t
		t = t.Add(time.Duration(15+r.Intn(25)) * time.Minute)
		stopStatus, reqStatus := "done", "done"
		if r.Intn(12) == 0 {
			stopStatus, reqStatus = "not_home", "failed"
		}
		var reqID, stopID int64
		if err := tx.QueryRow(ctx, `INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority,
				service_minutes, packages, status, created_at, updated_at, due_day)
			SELECT $1, c.id, c.address_text, c.location, c.district_id, 'hotline', 'normal', 20, $2, $3, $4, $5, $6::date
			FROM care_addresses c WHERE c.id = $7 RETURNING id`,
			kind, packages, reqStatus, dayStart.Add(-10*time.Hour), t, day, c.id).Scan(&reqID); err != nil {
			return fmt.Errorf("insert history request: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO stops (route_id, request_id, seq, status, eta, arrived_at, done_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id`, routeID, reqID, seq, stopStatus, arrived, t).Scan(&stopID); err != nil {
			return fmt.Errorf("insert history stop: %w", err)
		}
		n.Stops++
		if stopStatus == "not_home" {
			handled := t.Add(time.Duration(20+r.Intn(90)) * time.Minute)
			if _, err := tx.Exec(ctx, `INSERT INTO alerts (kind, status, stop_id, request_id, care_address_id, team_id, note, created_at, handled_at, handled_note)
				VALUES ('not_home', 'handled', $1, $2, $3, $4, 'Nobody answered the door.', $5, $6, 'Called the neighbour: all well.')`,
				stopID, reqID, c.id, team, t, handled); err != nil {
				return fmt.Errorf("insert history alert: %w", err)
			}
			n.Alerts++
		}
	}
	finish := t.Add(time.Duration(5+r.Intn(20)) * time.Minute)
	if _, err := tx.Exec(ctx, `UPDATE routes SET finished_at = $2, attendance_confirmed_at = $3, duration_s = $4 WHERE id = $1`,
		routeID, finish, finish.Add(30*time.Minute), finish.Sub(start).Seconds()); err != nil {
		return fmt.Errorf("finish history route: %w", err)
	}
	if len(crew) > 4 {
		crew = crew[:4]
	}
	for _, v := range crew {
		out := finish
		if r.Intn(5) == 0 {
			out = start.Add(finish.Sub(start) / 2).Truncate(time.Minute)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO route_members (route_id, volunteer_id) VALUES ($1, $2)`, routeID, v); err != nil {
			return fmt.Errorf("insert history roster: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attendance (route_id, volunteer_id, check_in, check_out, updated_at) VALUES ($1, $2, $3, $4, $4)`,
			routeID, v, start, out); err != nil {
			return fmt.Errorf("insert history attendance: %w", err)
		}
		n.Attendance++
	}
	return nil
}
