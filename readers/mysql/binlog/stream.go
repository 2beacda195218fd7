package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
)

// Op is what a change did to a row.
type Op uint8

// Operations. Their String values are format's Op* values.
const (
	OpInsert Op = iota + 1
	OpUpdate
	OpDelete
	OpTruncate
)

func (o Op) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpTruncate:
		return "truncate"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Change is one row change. Before is set for update and delete, After for
// insert and update; both follow Table.Columns. A truncate has neither.
type Change struct {
	Table  *Table
	Op     Op
	Before []Value
	After  []Value
}

// DDL is a schema statement of the binlog that concerns a captured table.
type DDL struct {
	Database  string // the statement's default database
	Statement string
	Tables    []TableName // the tables it names, as far as they could be read from it

	truncate bool
}

// Transaction is one source transaction, or one chunk of a large one.
//
// Its Changes, their Values and the Tables they point to stay valid until
// the next call of Stream.Next, which reuses the memory: copy what you keep.
type Transaction struct {
	// GTID is the transaction's GTID ("0-1-42" on MariaDB, "uuid:42" on
	// MySQL), empty when the source does not assign one.
	GTID string
	// Resume is where to restart to get the transactions after this one:
	// the position just after its commit, with the GTID set executed up to
	// it (empty when not known: MySQL started from a file position). For a
	// chunk that is not Committed, it is the position before the transaction.
	Resume     Position
	CommitTime time.Time
	// Committed is false for a chunk of a transaction bigger than
	// Config.MaxTransactionBytes: more chunks of it follow, the last one
	// Committed. A consumer applies all chunks in one target transaction.
	Committed bool
	Changes   []Change
	DDL       []DDL
}

// Progress reports a transaction without changes or DDL: the source reached
// Resume with nothing to capture in between (heartbeats, other tables).
func (t *Transaction) Progress() bool { return len(t.Changes) == 0 && len(t.DDL) == 0 }

// Stream reads transactions from a binlog. It is not safe for concurrent use.
type Stream struct {
	cfg      Config
	flavor   string
	db       *sql.DB
	syncer   *replication.BinlogSyncer
	events   *replication.BinlogStreamer
	charsets map[uint64]string // collation id → charset name

	byID     map[uint64]*Table    // captured tables by TABLE_MAP id
	latest   map[TableName]*Table // newest version of each captured table
	hints    map[TableName]map[string]string
	buf      buffers
	tx       Transaction
	inTx     bool // inside BEGIN … COMMIT/XID
	openTx   bool // a GTID event started a transaction not yet ended
	gtid     string
	gtidSet  gomysql.GTIDSet // executed set up to the last commit; nil when unknown
	mariaGTI gomysql.MariadbGTID
	mysqlSID uuid.UUID
	mysqlGNO int64

	file      string // current binlog file
	pos       uint32 // end of the last event read
	committed Position
	reported  Position // last Resume handed out
	lastOut   time.Time
	partial   bool // the last Next returned a chunk of an open transaction
}

// Open connects to the source and starts reading its binlog at cfg.Start.
// Close the Stream when done.
func Open(ctx context.Context, cfg Config) (*Stream, error) {
	cfg.withDefaults()
	dsn, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	db, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, db: db, byID: map[uint64]*Table{}, latest: map[TableName]*Table{},
		hints: map[TableName]map[string]string{}}
	if err := s.open(ctx, dsn); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stream) open(ctx context.Context, dsn *mysql.Config) error {
	var err error
	if s.cfg.Flavor == "" {
		if s.cfg.Flavor, err = detectFlavor(ctx, s.db); err != nil {
			return err
		}
	}
	s.flavor = s.cfg.Flavor
	if s.flavor != FlavorMariaDB && s.flavor != FlavorMySQL {
		return fmt.Errorf("binlog: flavor %q: want %s or %s", s.flavor, FlavorMariaDB, FlavorMySQL)
	}
	if err := checkServer(ctx, s.db); err != nil {
		return err
	}
	if s.charsets, err = loadCharsets(ctx, s.db); err != nil {
		return err
	}
	start := s.cfg.Start
	if start.File == "" && start.GTIDSet == "" {
		if start, err = serverPosition(ctx, s.db, s.flavor); err != nil {
			return err
		}
	}
	if start.GTIDSet == "" && s.flavor == FlavorMariaDB {
		// Keep GTID sets in the positions handed out even when starting
		// from a file position: MariaDB tells the state at any position.
		if start.GTIDSet, err = mariadbGTIDAt(ctx, s.db, start.File, start.Pos); err != nil {
			return err
		}
	}

	host, portText, err := net.SplitHostPort(dsn.Addr)
	if dsn.Net != "tcp" || err != nil {
		return fmt.Errorf("binlog: source address %s %q: change capture needs TCP", dsn.Net, dsn.Addr)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return fmt.Errorf("binlog: source port %q: %w", portText, err)
	}
	s.syncer = replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID:        s.cfg.ServerID,
		Flavor:          s.flavor,
		Host:            host,
		Port:            uint16(port),
		User:            dsn.User,
		Password:        dsn.Passwd,
		TLSConfig:       nil,
		Charset:         "utf8mb4",
		HeartbeatPeriod: s.cfg.HeartbeatPeriod,
		// Reconnecting would resume inside a transaction, after TABLE_MAP
		// events it no longer has: let the caller reopen from the last
		// committed Resume instead.
		DisableRetrySync: true,
		// We track GTID sets ourselves, once per commit, without cloning.
		DiscardGTIDSet:      true,
		Logger:              s.cfg.Logger,
		RowsEventDecodeFunc: s.keepRowsBody,
	})
	if start.GTIDSet != "" {
		s.gtidSet, err = gomysql.ParseGTIDSet(s.flavor, start.GTIDSet)
		if err != nil {
			return fmt.Errorf("binlog: start GTID set %q: %w", start.GTIDSet, err)
		}
	}
	// GTID mode whenever a set is given: it survives a source failover,
	// where file positions do not.
	if s.cfg.Start.GTIDSet != "" {
		s.events, err = s.syncer.StartSyncGTID(s.gtidSet.Clone())
	} else {
		s.events, err = s.syncer.StartSync(gomysql.Position{Name: start.File, Pos: start.Pos})
	}
	if err != nil {
		return fmt.Errorf("binlog: start reading at %s: %w", start, err)
	}
	s.file, s.pos = start.File, start.Pos
	s.committed = start
	s.reported = start
	s.lastOut = time.Now()
	return nil
}

// Close stops reading and closes the connections.
func (s *Stream) Close() error {
	if s.syncer != nil {
		s.syncer.Close()
	}
	return s.db.Close()
}

// keepRowsBody replaces go-mysql's row decoding (which boxes every value):
// it decodes the event header only and keeps the row images of captured
// tables undecoded, in Rows[0][0], for decodeRows. It runs on go-mysql's
// reading goroutine, so rows of other tables cost no decoding at all.
func (s *Stream) keepRowsBody(e *replication.RowsEvent, data []byte) error {
	pos, err := e.DecodeHeader(data)
	if err != nil {
		return err
	}
	if !s.cfg.captures(string(e.Table.Schema), string(e.Table.Table)) {
		return nil
	}
	e.Rows = [][]any{{data[pos:]}}
	return nil
}

// Next returns the next transaction that changed a captured table, a DDL of
// one, or progress (see Transaction.Progress) when the source is idle or
// busy with other tables for a heartbeat period. It blocks until then or
// until ctx is done.
func (s *Stream) Next(ctx context.Context) (*Transaction, error) {
	s.buf.reset()
	s.tx.Changes = s.tx.Changes[:0]
	s.tx.DDL = s.tx.DDL[:0]
	if !s.partial {
		s.tx.GTID, s.tx.CommitTime = "", time.Time{}
	}
	s.partial = false
	for {
		ev, err := s.events.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("binlog: read at %s:%d: %w", s.file, s.pos, err)
		}
		done, err := s.handle(ctx, ev)
		if err != nil {
			return nil, err
		}
		if done {
			s.lastOut = time.Now()
			s.reported = s.tx.Resume
			return &s.tx, nil
		}
	}
}

// handle applies one event; done says s.tx is ready to hand out.
func (s *Stream) handle(ctx context.Context, ev *replication.BinlogEvent) (done bool, err error) {
	if ev.Header.LogPos > 0 {
		s.pos = ev.Header.LogPos
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		// The committed position stays at the end of the last commit: a
		// rotate (or the artificial one a GTID start begins with) is no
		// transaction boundary of its own.
		s.file, s.pos = string(e.NextLogName), uint32(e.Position)
	case *replication.MariadbGTIDEvent:
		s.beginTx()
		s.mariaGTI = e.GTID
		s.gtid = e.GTID.String()
	case *replication.GTIDEvent:
		s.beginTx()
		s.mysqlSID, _ = uuid.FromBytes(e.SID)
		s.mysqlGNO = e.GNO
		if s.mysqlSID != (uuid.UUID{}) {
			s.gtid = s.mysqlSID.String() + ":" + strconv.FormatInt(e.GNO, 10)
		}
		if e.ImmediateCommitTimestamp > 0 {
			s.tx.CommitTime = time.UnixMicro(int64(e.ImmediateCommitTimestamp)).UTC()
		}
	case *replication.QueryEvent:
		return s.query(ctx, ev, e)
	case *replication.TableMapEvent:
		return false, s.tableMap(ctx, e)
	case *replication.RowsEvent:
		return s.rows(ev, e)
	case *replication.XIDEvent:
		return s.commit(ev), nil
	case *replication.HeartbeatEvent:
		return s.progressDue(true), nil
	}
	return false, nil
}

func (s *Stream) beginTx() {
	s.openTx = true
	s.gtid = ""
	s.tx.CommitTime = time.Time{}
}

// query handles BEGIN, COMMIT (non-transactional tables) and statements
// (DDL, which MySQL and MariaDB log as a transaction of its own).
func (s *Stream) query(ctx context.Context, ev *replication.BinlogEvent, e *replication.QueryEvent) (bool, error) {
	q := string(e.Query)
	switch q {
	case "BEGIN":
		s.inTx = true
		return false, nil
	case "COMMIT":
		return s.commit(ev), nil
	}
	if d, ok := parseDDL(string(e.Schema), q); ok {
		if s.ddlCaptured(d) {
			s.forget(d.Tables)
			d.Statement = q
			s.tx.DDL = append(s.tx.DDL, d)
			if d.truncate {
				for _, n := range d.Tables {
					if s.cfg.captures(n.Database, n.Name) {
						s.truncate(n)
					}
				}
			}
		}
	}
	if s.inTx {
		return false, nil // a statement inside a transaction (e.g. SAVEPOINT)
	}
	return s.commit(ev), nil
}

// commit ends the current transaction at the event just read.
func (s *Stream) commit(ev *replication.BinlogEvent) bool {
	s.inTx, s.openTx = false, false
	if s.gtidSet != nil {
		switch set := s.gtidSet.(type) {
		case *gomysql.MariadbGTIDSet:
			if s.gtid != "" {
				g := s.mariaGTI
				_ = set.AddSet(&g)
			}
		case *gomysql.MysqlGTIDSet:
			if s.gtid != "" {
				set.AddGTID(s.mysqlSID, s.mysqlGNO)
			}
		}
	}
	s.committed = Position{File: s.file, Pos: s.pos}
	if s.gtidSet != nil {
		s.committed.GTIDSet = s.gtidSet.String()
	}
	if len(s.tx.Changes) == 0 && len(s.tx.DDL) == 0 {
		// Nothing captured: report progress now and then only.
		return s.progressDue(false)
	}
	s.tx.GTID = s.gtid
	if s.tx.CommitTime.IsZero() {
		s.tx.CommitTime = time.Unix(int64(ev.Header.Timestamp), 0).UTC()
	}
	s.tx.Resume = s.committed
	s.tx.Committed = true
	return true
}

// progressDue prepares a progress transaction when the committed position
// moved since the last one handed out and, unless heartbeat, a heartbeat
// period passed.
func (s *Stream) progressDue(heartbeat bool) bool {
	if s.openTx || s.inTx || s.committed == s.reported {
		return false
	}
	if !heartbeat && time.Since(s.lastOut) < s.cfg.HeartbeatPeriod {
		return false
	}
	s.tx.Changes, s.tx.DDL = s.tx.Changes[:0], s.tx.DDL[:0]
	s.tx.GTID, s.tx.CommitTime = "", time.Time{}
	s.tx.Resume, s.tx.Committed = s.committed, true
	return true
}

// tableMap records the definition of a captured table.
func (s *Stream) tableMap(ctx context.Context, e *replication.TableMapEvent) error {
	name := TableName{Database: string(e.Schema), Name: string(e.Table)}
	if !s.cfg.captures(name.Database, name.Name) {
		return nil
	}
	if t, ok := s.byID[e.TableID]; ok && t.sameMap(e) {
		return nil
	}
	t, err := tableFromMap(e, s.charsets, nil)
	if err == nil && t.mayNeedCatalog() {
		var hints map[string]string
		if hints, err = s.catalogTypes(ctx, name); err == nil {
			t, err = tableFromMap(e, s.charsets, hints)
		}
	}
	if err != nil {
		return fmt.Errorf("binlog: %s:%d: %w", s.file, s.pos, err)
	}
	t.Version = 1
	if prev := s.latest[name]; prev != nil {
		t.Version = prev.Version
		if !t.sameColumns(prev) {
			t.Version++
		}
	}
	s.latest[name] = t
	s.byID[e.TableID] = t
	return nil
}

// forget drops what is known of tables a DDL touched: their next TABLE_MAP
// is decoded afresh, with the catalog read again if their columns need it.
func (s *Stream) forget(tables []TableName) {
	for _, n := range tables {
		delete(s.hints, n)
		for id, t := range s.byID {
			if t.Database == n.Database && t.Name == n.Name {
				delete(s.byID, id)
			}
		}
	}
}

// truncate records a TRUNCATE TABLE of a captured table as a change.
func (s *Stream) truncate(n TableName) {
	t := s.latest[n]
	if t == nil {
		t = &Table{Database: n.Database, Name: n.Name}
	}
	s.tx.Changes = append(s.tx.Changes, Change{Table: t, Op: OpTruncate})
}

// rows decodes a rows event of a captured table into changes.
func (s *Stream) rows(ev *replication.BinlogEvent, e *replication.RowsEvent) (bool, error) {
	if len(e.Rows) != 1 || len(e.Rows[0]) != 1 {
		return false, nil // not captured: keepRowsBody left it undecoded
	}
	body, _ := e.Rows[0][0].([]byte)
	t := s.byID[e.TableID]
	if t == nil {
		return false, fmt.Errorf("binlog: %s:%d: rows of table id %d (%s.%s) without its TABLE_MAP",
			s.file, s.pos, e.TableID, quoteIdent(string(e.Table.Schema)), quoteIdent(string(e.Table.Table)))
	}
	switch ev.Header.EventType {
	case replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		var err error
		if body, err = gomysql.DecompressMariadbData(body); err != nil {
			return false, fmt.Errorf("binlog: %s:%d: table %s: decompress rows: %w", s.file, s.pos, t.QualifiedName(), err)
		}
	}
	var op Op
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		op = OpInsert
	case replication.EnumRowsEventTypeUpdate:
		op = OpUpdate
	case replication.EnumRowsEventTypeDelete:
		op = OpDelete
	default:
		return false, fmt.Errorf("binlog: %s:%d: table %s: rows event %s is not supported",
			s.file, s.pos, t.QualifiedName(), ev.Header.EventType)
	}
	for len(body) > 0 {
		c := Change{Table: t, Op: op}
		img, n, err := s.decodeImage(t, body, e.ColumnBitmap1)
		if err != nil {
			return false, s.rowError(t, err)
		}
		body = body[n:]
		if op == OpInsert {
			c.After = img
		} else {
			c.Before = img
		}
		if op == OpUpdate {
			if c.After, n, err = s.decodeImage(t, body, e.ColumnBitmap2); err != nil {
				return false, s.rowError(t, err)
			}
			body = body[n:]
		}
		s.tx.Changes = append(s.tx.Changes, c)
	}
	if s.buf.size >= s.cfg.MaxTransactionBytes {
		// Hand out what we have; the transaction goes on in the next chunk.
		s.tx.GTID = s.gtid
		s.tx.Resume = s.committed
		s.tx.Committed = false
		s.partial = true
		return true, nil
	}
	return false, nil
}

func (s *Stream) rowError(t *Table, err error) error {
	return fmt.Errorf("binlog: %s:%d: table %s: %w", s.file, s.pos, t.QualifiedName(), err)
}
