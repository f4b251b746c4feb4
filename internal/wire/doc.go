// Package wire holds FlaxFile's messages as they travel in ZeroMQ frames:
// the commands of FlaxFile 1.2, their replies and exact error strings, and
// the Python-compatible text forms (decimal numbers, JSON) that 1.2 peers
// expect byte for byte.
//
// A request is [empty delimiter, COMMAND, arguments...]; a reply is
// [empty delimiter, REPLY, values...]. Numbers are decimal ASCII, one per
// frame; keys and messages are UTF-8.
package wire
