package main

// The chaos suite: real `qamqor serve` processes against real PostGIS,
// killed with SIGKILL, stopped with SIGTERM, or cut off from the database by
// a TCP proxy (never by stopping the shared cluster). README "Reliability"
// lists what each scenario guarantees; run them with
//
//	go test ./cmd/qamqor -run Chaos -v

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// tomorrow is the day the chaos tests plan (Astana time).
func tomorrow() string {
	return time.Now().In(time.FixedZone("Asia/Astana", 5*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
}

type planJob struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
	Message  string `json:"message"`
}

func (c *client) planJob(id int64) planJob {
	var j planJob
	c.do("GET", fmt.Sprintf("/api/plans/%d", id), nil, nil, http.StatusOK, &j)
	return j
}

// snowDay opens a snowfall campaign for day so the planner has work.
func snowDay(t *testing.T, disp *client, day string) {
	t.Helper()
	var camp struct {
		RequestsCreated int `json:"requests_created"`
	}
	disp.do("POST", "/api/campaigns", map[string]any{"kind": "snowfall", "day": day, "snowfall_cm": 12}, nil, http.StatusCreated, &camp)
	if camp.RequestsCreated < 50 {
		t.Fatalf("campaign created %d requests, want the demo's snow addresses", camp.RequestsCreated)
	}
}

// TestChaosKillDuringPlanning: the process solving a plan is killed with
// SIGKILL. After a restart the interrupted job runs again (or fails) and
// the day can be planned again within 60 s; before the job queue, the day
// answered 409 for ten minutes.
func TestChaosKillDuringPlanning(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	day := tomorrow()
	snowDay(t, disp, day)

	var started struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 8}, nil, http.StatusAccepted, &started)
	// Wait until the solver is at work, then kill the process.
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := disp.planJob(started.JobID)
		if j.Status == "running" && j.Progress >= 30 {
			break
		}
		if j.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("job before the kill: %+v, want running and solving", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()

	b := startInstance(t, st.bin, st.env)
	restarted := time.Now()
	disp = login(t, b.url, "dispatcher", "dispatcher-demo")
	var final planJob
	for {
		final = disp.planJob(started.JobID)
		if final.Status != "running" {
			break
		}
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("interrupted job still running 60 s after the restart: %+v", final)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("interrupted job ended %s after the restart: %+v", time.Since(restarted).Round(100*time.Millisecond), final)
	if final.Status != "done" {
		t.Fatalf("interrupted job=%+v, want done on its second attempt", final)
	}
	var again struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 1}, nil, http.StatusAccepted, &again)
	if since := time.Since(restarted); since > 60*time.Second {
		t.Fatalf("day plannable again only %v after the restart, want within 60 s", since)
	}
	for disp.planJob(again.JobID).Status == "running" {
		if time.Since(restarted) > 120*time.Second {
			t.Fatal("the new plan did not finish")
		}
		time.Sleep(250 * time.Millisecond)
	}
	if j := disp.planJob(again.JobID); j.Status != "done" {
		t.Fatalf("new plan=%+v, want done", j)
	}
}

// TestChaosGracefulShutdown: SIGTERM closes every websocket with 1001
// (going away), answers requests in flight, and hands a running plan back
// to the queue; the next process finishes it.
func TestChaosGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	// Shut down sooner than the solve ends so the plan is handed back.
	env := append(append([]string(nil), st.env...), "QAMQOR_SHUTDOWN_TIMEOUT=1s")
	a := startInstance(t, st.bin, env)
	disp := login(t, a.url, "dispatcher", "dispatcher-demo")
	day := tomorrow()
	snowDay(t, disp, day)
	ws := dialWS(t, disp, 0)

	var started struct {
		JobID int64 `json:"job_id"`
	}
	disp.do("POST", "/api/plans", map[string]any{"day": day, "time_limit_s": 20}, nil, http.StatusAccepted, &started)
	deadline := time.Now().Add(30 * time.Second)
	for j := disp.planJob(started.JobID); j.Progress < 30; j = disp.planJob(started.JobID) {
		if j.Status != "running" || time.Now().After(deadline) {
			t.Fatalf("job before SIGTERM: %+v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopAt := time.Now()
	if err := a.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The websocket ends with a close frame 1001.
	for range ws.events {
	}
	if ws.closeCode != websocket.CloseGoingAway {
		t.Fatalf("websocket close code=%d, want 1001 going away", ws.closeCode)
	}
	if err := a.cmd.Wait(); err != nil {
		t.Fatalf("server exit after SIGTERM: %v", err)
	}
	if d := time.Since(stopAt); d > 15*time.Second {
		t.Fatalf("shutdown took %v", d)
	}

	b := startInstance(t, st.bin, st.env)
	disp = login(t, b.url, "dispatcher", "dispatcher-demo")
	restarted := time.Now()
	for disp.planJob(started.JobID).Status == "running" {
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("handed-back plan not finished 60 s after the restart: %+v", disp.planJob(started.JobID))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if j := disp.planJob(started.JobID); j.Status != "done" {
		t.Fatalf("handed-back plan=%+v, want done", j)
	}
}
