// Package command is what every dbmig binary shares around its library call:
// running a urfave/cli app with a signal-aware context, mapping errors to
// exit statuses, the common flags (logging and progress on stderr), DSN
// redaction, and safe handling of stdin and stdout.
//
// Exit statuses, the same for every binary:
//
//	0    success
//	1    failure
//	2    usage error (a bad flag or argument, no input, stdout is a terminal)
//	141  the reader of our stdout went away (128+SIGPIPE, what a process
//	     killed by SIGPIPE reports), with the one line
//	     "downstream closed the pipe" on stderr
//	130  interrupted by SIGINT (143 for SIGTERM): 128+signal, as shells report
//
// A first SIGINT or SIGTERM cancels the context: the command stops, cleans
// up (an -o file in progress is removed) and exits 130/143. A second one
// exits at once with 130.
//
// Only Main calls os.Exit; commands and libraries return errors, and the
// error is printed once, here, prefixed with the program name.
package command
