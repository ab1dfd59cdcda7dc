package postgres

import (
	"context"
	"fmt"

	"github.com/qamqor/qamqor/dispatch"
)

// PlanningJobStats sums up finished planning jobs per outcome for the
// metrics: count, total seconds and cumulative counts under each bound.
func (db *DB) PlanningJobStats(ctx context.Context, bounds []float64) ([]dispatch.JobStats, error) {
	rows, err := db.pool.Query(ctx, `SELECT status, extract(epoch FROM finished_at - created_at)::float8
		FROM planning_jobs WHERE status IN ('done', 'failed') AND finished_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read planning job durations: %w", err)
	}
	defer rows.Close()
	by := map[string]*dispatch.JobStats{}
	for _, o := range []string{"done", "failed"} {
		by[o] = &dispatch.JobStats{Outcome: o, Buckets: map[float64]uint64{}}
		for _, b := range bounds {
			by[o].Buckets[b] = 0
		}
	}
	for rows.Next() {
		var status string
		var secs float64
		if err := rows.Scan(&status, &secs); err != nil {
			return nil, fmt.Errorf("scan planning job duration: %w", err)
		}
		s := by[status]
		s.Count++
		s.SumSeconds += secs
		for _, b := range bounds {
			if secs <= b {
				s.Buckets[b]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read planning job durations: %w", err)
	}
	return []dispatch.JobStats{*by["done"], *by["failed"]}, nil
}

// queueCounts are the queries behind QueueDepths, one per queue. Tables of
// features that may not be migrated in (River's) are looked up first.
var queueCounts = map[string]string{
	"planning": `SELECT count(*) FROM planning_jobs WHERE status = 'running'`,
	"telegram": `SELECT count(*) FROM telegram_outbox WHERE sent_at IS NULL AND failed_at IS NULL`,
	"webhook":  `SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL`,
	"river":    `SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running')`,
}

// QueueDepths returns how many items wait in each queue that exists.
func (db *DB) QueueDepths(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	tables := map[string]string{"planning": "planning_jobs", "telegram": "telegram_outbox", "webhook": "webhook_deliveries", "river": "river_job"}
	for q, sql := range queueCounts {
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, tables[q]).Scan(&exists); err != nil {
			return nil, fmt.Errorf("look up table=%s: %w", tables[q], err)
		}
		if !exists {
			continue
		}
		var n int64
		if err := db.pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			return nil, fmt.Errorf("count queue=%s: %w", q, err)
		}
		out[q] = n
	}
	return out, nil
}
