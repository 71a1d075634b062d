package schema

import (
	"strconv"
	"strings"
)

// path is where the walk of Validate or Assign stands, kept as a stack of
// steps and written as a JSON pointer only when a message needs it: a
// valid value costs no string per member or item, only one stack per
// walk.
type path struct{ steps []step }

// newPath returns the root, with room for 8 steps: one allocation for
// most values.
func newPath() *path { return &path{steps: make([]step, 0, 8)} }

// step is one step down: into an object's member, or an array's item.
type step struct {
	key     string
	index   int
	isIndex bool // the step is an item (a member may be named "")
}

// member steps into the member k; pop steps back.
func (p *path) member(k string) { p.steps = append(p.steps, step{key: k}) }

// item steps into the item i; pop steps back.
func (p *path) item(i int) { p.steps = append(p.steps, step{index: i, isIndex: true}) }

func (p *path) pop() { p.steps = p.steps[:len(p.steps)-1] }

// String returns the RFC 6901 pointer: "/sections/2/title", "" for the
// root.
func (p *path) String() string {
	var b strings.Builder
	for _, s := range p.steps {
		b.WriteByte('/')
		if s.isIndex {
			b.WriteString(strconv.Itoa(s.index))
		} else {
			b.WriteString(escape(s.key))
		}
	}
	return b.String()
}
