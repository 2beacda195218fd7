// Package migrate runs a live migration job in one process: the verbs
// migrate, sync, validate, cutover and status of dbmigrate.
//
// migrate is the pipeline `dbcdc --snapshot | dbconvert --to postgres |
// dbload --apply --create` composed in-process (readers/postgres or
// readers/mysql Stream → io.Pipe → transforms/convert for a MySQL source →
// writers/postgres Apply), each stage a goroutine, the first error stopping
// the others. The target's dbmig.cdc_checkpoints row is the truth about
// positions (the source confirms only what the target committed); the
// state directory (State) holds the plan, progress snapshots, the report,
// the fence a cutover requests and a lock, so any verb can be killed and
// rerun.
//
// Targets are PostgreSQL only: applying a change stream to MySQL needs an
// apply that does not exist yet.
package migrate
