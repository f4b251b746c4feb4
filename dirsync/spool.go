package dirsync

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
)

// spool holds the files a sync will act on: in memory for a dry run
// (which returns them), otherwise in a temporary file read back once, so
// that a sync's memory does not grow with the number of files.
type spool struct {
	mem  bool
	list []File
	f    *os.File
	w    *bufio.Writer
}

func newSpool(inMemory bool) (*spool, error) {
	if inMemory {
		return &spool{mem: true}, nil
	}
	f, err := os.CreateTemp("", "flaxfile-plan-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name()) // gone when closed, whatever happens
	return &spool{f: f, w: bufio.NewWriter(f)}, nil
}

var actionCodes = map[string]byte{ActionNew: 'n', ActionModified: 'm', ActionDelete: 'd'}

// add appends a file: action, size, then the length-prefixed path (a
// name may hold any octet but NUL and '/').
func (s *spool) add(f File) error {
	if s.mem {
		s.list = append(s.list, f)
		return nil
	}
	var b [1 + 2*binary.MaxVarintLen64]byte
	b[0] = actionCodes[f.Action]
	n := 1 + binary.PutVarint(b[1:], f.Size)
	n += binary.PutUvarint(b[n:], uint64(len(f.Rel)))
	if _, err := s.w.Write(b[:n]); err != nil {
		return err
	}
	_, err := s.w.WriteString(f.Rel)
	return err
}

// each calls fn with every file added, in order, for those of action
// (all when action is empty).
func (s *spool) each(action string, fn func(File) bool) error {
	if s.mem {
		for _, f := range s.list {
			if (action == "" || f.Action == action) && !fn(f) {
				return nil
			}
		}
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	r := bufio.NewReader(io.NewSectionReader(s.f, 0, 1<<62))
	names := map[byte]string{'n': ActionNew, 'm': ActionModified, 'd': ActionDelete}
	for {
		code, err := r.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		size, err := binary.ReadVarint(r)
		if err != nil {
			return err
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n > 1<<16 {
			return errors.Join(errors.New("flaxfile: damaged plan spool"), err)
		}
		rel := make([]byte, n)
		if _, err := io.ReadFull(r, rel); err != nil {
			return err
		}
		f := File{Rel: string(rel), Action: names[code], Size: size}
		if (action == "" || f.Action == action) && !fn(f) {
			return nil
		}
	}
}

func (s *spool) close() {
	if s.f != nil {
		s.f.Close()
	}
}
