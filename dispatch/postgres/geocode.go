package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

var _ dispatch.Geocoder = (*DB)(nil)

// MaxQueryLen bounds a search query, in characters.
const MaxQueryLen = 200

// MaxCandidates bounds the limit of Geocode.
const MaxCandidates = 50

// Search tuning. Scores are pg_trgm similarities in [0,1].
const (
	// careFirstScore: a care address matching by phone, name or address
	// with house number at least this well ranks above every gazetteer
	// entry, because the hotline mostly looks up people already registered.
	careFirstScore = 0.6
	// minScore drops weak matches from the answer.
	minScore = 0.3
	// gazetteerPool is how many gazetteer rows the trigram query returns for
	// re-ranking in Go.
	gazetteerPool = 200
)

// LoadGazetteer bulk-inserts entries into the gazetteer in one transaction
// and returns how many were new. Entries whose (kind, norm, source) exist
// already are skipped, so loading the same files twice adds nothing.
func (db *DB) LoadGazetteer(ctx context.Context, entries []geo.GazetteerEntry) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = loadGazetteer(ctx, tx, entries)
		return err
	})
	return int(n), err
}

func loadGazetteer(ctx context.Context, tx pgx.Tx, entries []geo.GazetteerEntry) (int64, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE gazetteer_load (
		kind text, street text, house text, name text, norm text, latin text,
		lon double precision, lat double precision, source text) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("create gazetteer load table: %w", err)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"gazetteer_load"},
		[]string{"kind", "street", "house", "name", "norm", "latin", "lon", "lat", "source"},
		pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
			e := entries[i]
			return []any{e.Kind, e.Street, e.House, e.Name, e.Norm, e.Latin, e.Location.Lon(), e.Location.Lat(), e.Source}, nil
		}))
	if err != nil {
		return 0, fmt.Errorf("copy gazetteer entries=%d: %w", len(entries), err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO gazetteer (kind, street, house, name, norm, latin, location, source)
		SELECT kind, street, house, name, norm, latin, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, source
		FROM gazetteer_load
		ON CONFLICT (kind, norm, source) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("insert gazetteer: %w", err)
	}
	if _, err := tx.Exec(ctx, `DROP TABLE gazetteer_load`); err != nil {
		return 0, fmt.Errorf("drop gazetteer load table: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LoadDistricts inserts the districts whose Russian name is not there yet
// and returns how many were new.
func (db *DB) LoadDistricts(ctx context.Context, ds []geo.District) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = loadDistricts(ctx, tx, ds)
		return err
	})
	return int(n), err
}

func loadDistricts(ctx context.Context, tx pgx.Tx, ds []geo.District) (int64, error) {
	var n int64
	for _, d := range ds {
		tag, err := tx.Exec(ctx, `INSERT INTO districts (name_ru, name_kk, kato, geom)
			VALUES ($1, $2, $3, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_GeomFromWKB($4, 4326)), 3)))
			ON CONFLICT (name_ru) DO NOTHING`,
			d.NameRU, d.NameKK, d.KATO, wkb.Value(d.Geometry))
		if err != nil {
			return n, fmt.Errorf("insert district name=%s: %w", d.NameRU, err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}

// DistrictAt returns the id of the district covering pt, or ENOTFOUND when
// pt lies in none (outside the city or on the river between polygons).
func (db *DB) DistrictAt(ctx context.Context, pt orb.Point) (*int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT id FROM districts
		WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY id LIMIT 1`,
		pt.Lon(), pt.Lat()).Scan(&id)
	if err != nil {
		return nil, translate(err, "District")
	}
	return &id, nil
}

// Districts returns every district, by id, with its geometry both as an orb
// value and as GeoJSON (six decimals, about 10 cm) for maps.
func (db *DB) Districts(ctx context.Context) ([]geo.District, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name_ru, name_kk, kato, ST_AsBinary(geom), ST_AsGeoJSON(geom, 6)
		FROM districts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query districts: %w", err)
	}
	defer rows.Close()
	var out []geo.District
	for rows.Next() {
		var d geo.District
		var gj string
		if err := rows.Scan(&d.ID, &d.NameRU, &d.NameKK, &d.KATO, wkb.Scanner(&d.Geometry), &gj); err != nil {
			return nil, fmt.Errorf("scan district: %w", err)
		}
		d.GeoJSON = json.RawMessage(gj)
		out = append(out, d)
	}
	return out, rows.Err()
}

// query is one search prepared for SQL and ranking.
type query struct {
	text       string // lower-cased, trimmed
	norm       string // geo.NormalizeAddress
	latin      string // geo.LatinKey
	street     string // norm without the house number
	streetLat  string // latin without the house number
	house      string // normalised house number, "" when none
	phone      string // digits of a phone number, "" when q is not one
	personalOK bool   // actor may see name and phone
}

func newQuery(q string, personal bool) query {
	qq := query{text: strings.ToLower(strings.TrimSpace(q)), personalOK: personal}
	qq.norm = geo.NormalizeAddress(q)
	qq.latin = geo.LatinKey(q)
	qq.street, qq.house = geo.SplitHouse(q)
	qq.streetLat = qq.latin
	if qq.house != "" {
		qq.streetLat = geo.LatinKey(qq.street)
	}
	qq.phone = phoneDigits(q)
	return qq
}

// phoneDigits returns the digits of q when q looks like a phone number (only
// digits, spaces, + ( ) - and at least 7 digits), in the 7XXXXXXXXXX form
// when complete: "+7 701 555 12 34", "8 701 555 12 34" and "7015551234" all
// give "77015551234"; "555 12 34" gives "5551234" (matched as a suffix).
func phoneDigits(q string) string {
	var b strings.Builder
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			b.WriteRune(r)
		case strings.ContainsRune(" +()-.", r):
		default:
			return ""
		}
	}
	d := b.String()
	switch {
	case len(d) < 7:
		return ""
	case len(d) == 11 && d[0] == '8':
		return "7" + d[1:]
	case len(d) == 10:
		return "7" + d
	}
	return d
}

// Geocode implements dispatch.Geocoder. It searches registered active care
// addresses (by address text; by name and phone only for actors that may
// see personal data) and the gazetteer, fuzzily with pg_trgm on the
// normalised and the Latin keys. A care address scoring careFirstScore or
// more ranks first; among the rest an exact house beats its street. Care
// addresses returned to an actor with ActViewPersonal carry name and phone
// and are audited as read, one audit_log row each, in the same transaction.
// An empty or too long q gives EINVALID with Field "q".
func (db *DB) Geocode(ctx context.Context, actor *dispatch.User, q string, limit int) ([]dispatch.Candidate, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, dispatch.Invalid("q", "Type an address, a name or a phone number.")
	}
	if utf8.RuneCountInString(q) > MaxQueryLen {
		return nil, dispatch.Invalid("q", "The search is too long (%d characters at most).", MaxQueryLen)
	}
	if limit <= 0 || limit > MaxCandidates {
		limit = 10
	}
	qq := newQuery(q, actor.Can(dispatch.ActViewPersonal))
	var out []dispatch.Candidate
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		careFirst, care, err := searchCare(ctx, tx, qq)
		if err != nil {
			return err
		}
		var gaz []dispatch.Candidate
		if qq.norm != "" {
			if gaz, err = searchGazetteer(ctx, tx, qq); err != nil {
				return err
			}
		}
		gaz = preferNumberedHouse(qq, gaz)
		out = rankCandidates(careFirst, append(care, gaz...), limit)
		if !qq.personalOK {
			return nil
		}
		for _, c := range out {
			if c.CareAddressID != nil {
				if err := audit(ctx, tx, actor, dispatch.AuditRead, *c.CareAddressID, "address search"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("geocode: %w", err)
	}
	return out, nil
}

// searchCare finds active care addresses by phone, name or address. The
// first list holds those that match well enough to rank above the gazetteer:
// by phone or name, or by an address with the query's house number (a bare
// street name would otherwise list every pensioner on it before the street).
func searchCare(ctx context.Context, tx pgx.Tx, qq query) (first, rest []dispatch.Candidate, err error) {
	// $1 lower-cased query, $2 normalised query, $3 phone digits or '',
	// $4 whether name and phone may be searched.
	rows, err := tx.Query(ctx, `SELECT id, full_name, phone, address_text,
			ST_Y(location::geometry), ST_X(location::geometry),
			CASE WHEN $4 AND $3 <> '' AND (phone_digits = $3 OR right(phone_digits, length($3)) = $3)
				THEN 1.0 ELSE 0.0 END AS phone_score,
			CASE WHEN $4 THEN greatest(similarity(lower(full_name), $1), word_similarity($1, lower(full_name)))
				ELSE 0.0 END AS name_score,
			CASE WHEN $2 <> '' THEN greatest(similarity(lower(address_text), $2), word_similarity($2, lower(address_text)))
				ELSE 0.0 END AS address_score
		FROM care_addresses
		WHERE active AND (
			($4 AND $3 <> '' AND (phone_digits = $3 OR right(phone_digits, length($3)) = $3))
			OR ($4 AND (lower(full_name) % $1 OR $1 <% lower(full_name)))
			OR ($2 <> '' AND $2 <% lower(address_text)))
		LIMIT 100`,
		qq.text, qq.norm, qq.phone, qq.personalOK)
	if err != nil {
		return nil, nil, fmt.Errorf("search care addresses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c dispatch.Candidate
		var name, phone string
		var phoneScore, nameScore, addrScore float64
		if err := rows.Scan(&c.ID, &name, &phone, &c.Label, &c.Lat, &c.Lon, &phoneScore, &nameScore, &addrScore); err != nil {
			return nil, nil, fmt.Errorf("scan care address: %w", err)
		}
		houseMatch := false
		if _, h := geo.SplitHouse(c.Label); qq.house != "" && h == qq.house {
			houseMatch = true
		} else {
			// "Кенесары 40" must not rank a pensioner at Кенесары 49 first.
			addrScore *= 0.7
		}
		c.Kind = "care_address"
		id := c.ID
		c.CareAddressID = &id
		c.Score = max(phoneScore, nameScore, addrScore)
		if qq.personalOK {
			c.Name, c.Phone = name, phone
		}
		switch {
		case max(phoneScore, nameScore) >= careFirstScore || (houseMatch && addrScore >= careFirstScore):
			first = append(first, c)
		case c.Score >= minScore:
			rest = append(rest, c)
		}
	}
	return first, rest, rows.Err()
}

// searchGazetteer finds streets, crossings and houses similar to the
// query's normalised or Latin key and scores them.
func searchGazetteer(ctx context.Context, tx pgx.Tx, qq query) ([]dispatch.Candidate, error) {
	// $1 norm, $2 latin, $3 street part of norm, $4 street part of latin.
	// The WHERE operators use the trigram GIN indexes; their thresholds are
	// pg_trgm's defaults (0.3 for %, 0.6 for <%).
	rows, err := tx.Query(ctx, `SELECT id, kind, name, house, norm, latin,
			ST_Y(location::geometry), ST_X(location::geometry),
			greatest(similarity(norm, $1), similarity(latin, $2)) AS sim,
			greatest(word_similarity($1, norm), word_similarity($2, latin)) AS wsim,
			greatest(similarity(norm, $3), similarity(latin, $4)) AS ssim
		FROM gazetteer
		WHERE norm % $1 OR $1 <% norm OR latin % $2 OR $2 <% latin
		ORDER BY greatest(similarity(norm, $1), similarity(latin, $2),
			word_similarity($1, norm), word_similarity($2, latin)) DESC, id
		LIMIT $5`,
		qq.norm, qq.latin, qq.street, qq.streetLat, gazetteerPool)
	if err != nil {
		return nil, fmt.Errorf("search gazetteer: %w", err)
	}
	defer rows.Close()
	var out []dispatch.Candidate
	for rows.Next() {
		var c dispatch.Candidate
		var house, norm, latin string
		var sim, wsim, ssim float64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Label, &house, &norm, &latin, &c.Lat, &c.Lon, &sim, &wsim, &ssim); err != nil {
			return nil, fmt.Errorf("scan gazetteer: %w", err)
		}
		c.Score = scoreGazetteer(qq, c.Kind, geo.NormalizeAddress(house), norm, latin, sim, wsim, ssim)
		if c.Score >= minScore {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// scoreGazetteer turns the trigram similarities of one entry into its
// score: 1 for an exact key; otherwise the similarity, with word similarity
// (the query is part of the name) counting a little less, houses with
// another number than the query's pushed down, and streets scored by the
// query's street part when the query names a house.
func scoreGazetteer(qq query, kind, house, norm, latin string, sim, wsim, ssim float64) float64 {
	if norm == qq.norm || latin == qq.latin {
		return 1
	}
	switch {
	case kind == geo.KindHouse && qq.house != "":
		if house == qq.house {
			return max(sim, 0.9*wsim)
		}
		return 0.7 * max(sim, 0.8*wsim)
	case kind == geo.KindHouse:
		return max(sim, 0.8*wsim)
	case qq.house != "":
		// a street is a fair answer for a house the gazetteer lacks
		return 0.85 * ssim
	case kind == geo.KindCrossing:
		// "Абай" names one street of "Абай / Сейфуллин"; the street wins
		return max(sim, 0.75*wsim)
	}
	return max(sim, 0.9*wsim)
}

// preferNumberedHouse keeps streets and crossings below the best house with
// the query's number: for "Абая 10" the house "Абай даңғылы, 10" beats the
// lane "Абая переулок", whose name matches better but which has no house
// 10 to go to. A query without a number, or without any such house, leaves
// the scores as they are.
func preferNumberedHouse(qq query, cs []dispatch.Candidate) []dispatch.Candidate {
	if qq.house == "" {
		return cs
	}
	best := 0.0
	for _, c := range cs {
		if _, h := geo.SplitHouse(c.Label); c.Kind == geo.KindHouse && h == qq.house && c.Score > best {
			best = c.Score
		}
	}
	if best < numberedHouseScore {
		return cs
	}
	for i := range cs {
		if cs[i].Kind != geo.KindHouse && cs[i].Score >= best {
			cs[i].Score = best * 0.99
		}
	}
	return cs
}

// numberedHouseScore is how well a house with the query's number must match
// to outrank streets: "Абай даңғылы, 10" for "Абая 10" scores 0.7.
const numberedHouseScore = 0.5

// kindOrder breaks score ties: people, then houses, streets, crossings.
var kindOrder = map[string]int{"care_address": 0, geo.KindHouse: 1, geo.KindStreet: 2, geo.KindCrossing: 3}

// rankCandidates sorts first (care addresses that match well) and rest by
// score, puts first before rest and cuts to limit.
func rankCandidates(first, rest []dispatch.Candidate, limit int) []dispatch.Candidate {
	byScore := func(cs []dispatch.Candidate) {
		sort.SliceStable(cs, func(i, j int) bool { return better(cs[i], cs[j]) })
	}
	byScore(first)
	byScore(rest)
	all := append(first, rest...)
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}

// better orders candidates by score, then kind, then label.
func better(a, b dispatch.Candidate) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if kindOrder[a.Kind] != kindOrder[b.Kind] {
		return kindOrder[a.Kind] < kindOrder[b.Kind]
	}
	return a.Label < b.Label
}

// Reverse implements dispatch.Geocoder: the nearest gazetteer house or
// active care address within maxM metres of pt, with DistanceM set; a care
// address wins a tie (a pensioner registered at that house). Personal data
// and auditing follow Geocode. ENOTFOUND when nothing is that close;
// EINVALID for a negative radius.
func (db *DB) Reverse(ctx context.Context, actor *dispatch.User, pt orb.Point, maxM float64) (*dispatch.Candidate, error) {
	if maxM < 0 || maxM > 50000 {
		return nil, dispatch.Invalid("max_m", "The search radius must be between 0 and 50000 metres.")
	}
	personal := actor.Can(dispatch.ActViewPersonal)
	var out *dispatch.Candidate
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// Each branch walks its GiST index with <-> (KNN on geography) and
		// is cut to maxM by ST_DWithin.
		var c dispatch.Candidate
		var name, phone string
		var dist float64
		err := tx.QueryRow(ctx, `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g)
			SELECT kind, id, label, full_name, phone, lat, lon, d FROM (
				(SELECT 'care_address' AS kind, c.id, c.address_text AS label, c.full_name, c.phone,
					ST_Y(c.location::geometry) AS lat, ST_X(c.location::geometry) AS lon,
					ST_Distance(c.location, p.g) AS d
				FROM care_addresses c, p
				WHERE c.active AND ST_DWithin(c.location, p.g, $3)
				ORDER BY c.location <-> p.g LIMIT 1)
				UNION ALL
				(SELECT 'house', z.id, z.name, '', '',
					ST_Y(z.location::geometry), ST_X(z.location::geometry), ST_Distance(z.location, p.g)
				FROM gazetteer z, p
				WHERE z.kind = 'house' AND ST_DWithin(z.location, p.g, $3)
				ORDER BY z.location <-> p.g LIMIT 1)
			) n ORDER BY d, kind = 'house' LIMIT 1`,
			pt.Lon(), pt.Lat(), maxM).Scan(&c.Kind, &c.ID, &c.Label, &name, &phone, &c.Lat, &c.Lon, &dist)
		if err != nil {
			return translate(err, "Address")
		}
		c.DistanceM = &dist
		c.Score = 1
		out = &c
		if c.Kind != "care_address" {
			return nil
		}
		id := c.ID
		c.CareAddressID = &id
		if !personal {
			return nil
		}
		c.Name, c.Phone = name, phone
		return audit(ctx, tx, actor, dispatch.AuditRead, id, "reverse search")
	})
	if err != nil {
		return nil, fmt.Errorf("reverse geocode lon=%f lat=%f: %w", pt.Lon(), pt.Lat(), err)
	}
	return out, nil
}
