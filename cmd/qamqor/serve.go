package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/notify"
	"github.com/qamqor/qamqor/web"
)

func init() { commands["serve"] = runServe }

// runServe runs the HTTP server until the process is interrupted. It
// refuses to start on a database with pending migrations.
func runServe(ctx context.Context, args []string) error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address; :0 picks a free port (QAMQOR_ADDR)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	db, err := postgres.OpenPool(ctx, cfg.DatabaseURL, "", postgres.PoolConfig{
		MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.DBStatementTimeout, LockTimeout: cfg.DBLockTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	db.SigningSeed = cfg.SigningSeed
	ok, missing, err := db.SchemaUpToDate(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the database schema is out of date (missing %s): run qamqor migrate", strings.Join(missing, ", "))
	}

	// The road graph gives travel times; without one the planner falls back
	// to straight lines and the API says so ("travel": "haversine").
	var travel dispatch.Travel = dispatch.HaversineTravel{}
	if car, foot, from, err := loadRouters(ctx, cfg, db); err == nil {
		travel = dispatch.RoadTravel{Router: car, Foot: foot, SnapLimitM: cfg.SnapLimitM}
		fmt.Printf("Road network loaded from %s: %d vertices\n", from, car.Graph.NumVertices())
	} else {
		logger.Warn("no road network: travel times are straight-line estimates (run qamqor import-osm)", "err", err)
	}
	travelFn := func() dispatch.Travel { return travel }
	rules := dispatch.DefaultPlanRules()
	planner := &dispatch.Planner{Store: db, Travel: travelFn, Rules: rules}

	tcfg, err := loadTelegramConfig()
	if err != nil {
		return err
	}
	tg := newTelegram(tcfg, cfg.PublicURL, db, logger)
	hooks := &notify.Webhooks{DB: db, Logger: logger}
	metrics := newMetrics(cfg, db)
	srv, err := web.NewServer(web.Config{
		Addr:           cfg.Addr,
		PublicURL:      cfg.PublicURL,
		Secure:         strings.HasPrefix(cfg.PublicURL, "https://"),
		SessionTTL:     cfg.SessionTTL,
		TrustedProxies: cfg.TrustedProxies,
		TileURL:        cfg.TileURL,
		SnapLimitM:     cfg.SnapLimitM,
		TelegramBot:    tcfg.Bot,
	}, web.Services{
		Auth:         db,
		Requests:     db,
		Care:         db,
		Geocoder:     db,
		Events:       db,
		Execute:      db,
		Campaigns:    db,
		Alerts:       db,
		Registry:     db,
		Users:        db,
		Reports:      db,
		Imports:      db,
		Exports:      db,
		HQ:           db,
		Map:          db,
		TwoFactor:    db,
		Audit:        db,
		Consent:      db,
		Privacy:      db,
		APIKeys:      db,
		Applications: db,
		Attendance:   db,
		Certificates: db,
		Plan:         web.PlanServices{Planner: planner, Routes: db, Travel: travelFn},
		Area:         dispatch.AstanaArea,
		Ready:        func(ctx context.Context) error { return db.Pool().Ping(ctx) },
		Unavailable:  postgres.IsUnavailable,
		Logger:       logger,
		Metrics:      metrics,
		Telegram:     telegramStore(tg, db),
		Webhooks:     db,
	})
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	// Background jobs (planning, purges) run on the River queue in the
	// database. On SIGTERM they drain alongside HTTP: running jobs get
	// ShutdownTimeout to finish, then are cancelled and handed back to the
	// queue (another instance, or this one after its restart, runs them).
	jobs, err := db.StartJobs(ctx, postgres.JobsConfig{Planner: planner, PlanWorkers: cfg.PlanWorkers, Logger: logger,
		TelegramSend: telegramSender(tg), WebhookSend: hooks.Deliver, Retention: cfg.Retention})
	if err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobsStopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer scancel()
		jobsStopped <- jobs.Stop(sctx)
	}()
	if metrics != nil {
		if err := serveMetrics(ctx, cfg.MetricsAddr, metrics, logger); err != nil {
			return err
		}
	}
	if hub := srv.Hub(); hub != nil {
		go func() {
			report := func(err error) { logger.Warn("listen for events", "err", err) }
			if err := db.ListenReporting(ctx, hub.Wake, report); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("listen for events stopped", "err", err)
			}
		}()
	}
	notifyDone := startNotify(ctx, tg, hooks)
	defer func() {
		select {
		case <-notifyDone:
		case <-time.After(30 * time.Second):
		}
	}()
	fmt.Printf("Qamqor is running at %s\n", listenURL(ln.Addr()))
	var users int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err == nil && users == 0 {
		fmt.Println("No users yet: create the first admin with `qamqor user create --role admin --username NAME`.")
	}
	if cfg.PublicURL != "" {
		fmt.Printf("Public URL: %s\n", cfg.PublicURL)
	}
	err = srv.Serve(ctx, ln)
	cancel()
	if jerr := <-jobsStopped; jerr != nil {
		logger.Error("stop jobs", "err", jerr)
	}
	fmt.Println("Qamqor stopped")
	return err
}

// listenURL is the address to print: http://localhost:PORT for a wildcard
// or loopback listener, else the real address. It shows the port actually
// bound, so `--addr :0` prints the one it got.
func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() || tcp.IP.IsLoopback() {
		return fmt.Sprintf("http://localhost:%d", tcp.Port)
	}
	return "http://" + tcp.String()
}
