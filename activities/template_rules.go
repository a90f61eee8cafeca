package activities

import (
	"fmt"
	"strconv"
	"strings"
	"text/template/parse"
)

// Go's templates cannot be stopped once they run, so a field's parse tree
// is checked against these rules before it renders, at save and at every
// send. With the lists it ranges over cut (userData), they bound the work
// of a render by construction; its output and the text its functions make
// are bounded as they run (maxRenderedField, maxFuncText).
const (
	// maxTemplateNodes bounds a field's parse tree: its text, actions and
	// their arguments.
	maxTemplateNodes = 2000
	// maxRangeDepth bounds how deep ranges nest.
	maxRangeDepth = 2
	// maxTemplateSteps bounds the work of a field, in parse-tree nodes run:
	// a node counts once, maxListItems times inside a range and
	// maxTemplateItems times inside two (see weight).
	maxTemplateSteps = 50_000
)

// dotKind is what dot holds at a point of a template, as far as the parse
// tree tells.
type dotKind int

const (
	dotRoot  dotKind = iota // the TemplateData
	dotFixed                // the same for every user: .Offer, or a field TemplateData lacks
	dotUser                 // .User itself: all the attributes, not cut
	dotItem                 // a value inside .User: its lists and maps are cut
	dotOther                // a variable's value, a function's result
)

// field resolves a field chain, such as .User.items, read from dot.
func (d dotKind) field(idents []string) dotKind {
	switch d {
	case dotRoot:
		switch {
		case idents[0] == "User" && len(idents) == 1:
			return dotUser
		case idents[0] == "User":
			return dotItem
		}
		return dotFixed
	case dotUser:
		return dotItem
	}
	return d
}

// userData reports whether what dot holds may come from the user's
// attributes.
func (d dotKind) userData() bool {
	return d != dotRoot && d != dotFixed
}

// pipe is where an action's pipeline starts in the field's text, and
// whether it reads anything that may come from the user's attributes.
type pipe struct {
	pos      parse.Pos
	userData bool
}

// treeCheck walks the parse tree of one field, counting its nodes and the
// steps they may take, and stops at the first rule it breaks.
type treeCheck struct {
	field string
	tree  *parse.Tree
	nodes int
	steps int
	// pipes are the field's pipelines in the order they appear.
	pipes []pipe
	// heaviest is the outermost range that may take the most steps.
	heaviest      parse.Node
	heaviestSteps int
	err           *TemplateError
}

// checkTree checks the parse tree of field, and defines, the trees of any
// {{define}} or {{block}} it has. It returns the field's pipelines.
func checkTree(field string, tree *parse.Tree, defines []*parse.Tree) ([]pipe, error) {
	c := &treeCheck{field: field, tree: tree}
	if tree != nil {
		c.walk(tree.Root, dotRoot, 0)
	}
	for _, d := range defines {
		if c.err == nil {
			c.tree = d
			c.fail(d.Root, "{{define}} and {{block}} are not available: write the text where it is used")
		}
	}
	switch {
	case c.err != nil:
		return nil, c.err
	case c.nodes > maxTemplateNodes:
		return nil, &TemplateError{Field: field, Message: fmt.Sprintf("has %d template parts (text, actions and what they name), more than the %d a field may have: shorten it", c.nodes, maxTemplateNodes)}
	case c.steps > maxTemplateSteps:
		c.fail(c.heaviest, fmt.Sprintf("the field may take %d steps for a user with long lists (%d items each, %d in all), more than %d; the range here takes %d of them: put less inside it",
			c.steps, maxListItems, maxTemplateItems, maxTemplateSteps, c.heaviestSteps))
		return nil, c.err
	}
	return c.pipes, nil
}

// definedTrees parses text as field and returns the trees of the
// {{define}} and {{block}} it has, even one named as the field itself,
// which text/template would quietly put in the field's place.
func definedTrees(field, text string) []*parse.Tree {
	if !strings.Contains(text, "define") && !strings.Contains(text, "block") {
		return nil // the actions are spelled out; there are none
	}
	t := parse.New(field)
	t.Mode = parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", set); err != nil {
		return nil // the field's own parse says what is wrong
	}
	var out []*parse.Tree
	for _, d := range set {
		if d != t {
			out = append(out, d)
		}
	}
	return out
}

func (c *treeCheck) fail(n parse.Node, message string) {
	if c.err != nil {
		return
	}
	c.err = &TemplateError{Field: c.field, Line: c.line(n), Message: message}
}

// line returns the line of the field n is on.
func (c *treeCheck) line(n parse.Node) int {
	if n == nil {
		return 0
	}
	location, _ := c.tree.ErrorContext(n)
	parts := strings.Split(location, ":")
	if len(parts) < 3 {
		return 0
	}
	line, _ := strconv.Atoi(parts[len(parts)-2])
	return line
}

// weight is how many times a node depth ranges deep may run: each range
// multiplies by maxListItems, and no range runs more than
// maxTemplateItems times in all (see cut).
func weight(depth int) int {
	w := 1
	for range depth {
		w = min(w*maxListItems, maxTemplateItems)
	}
	return w
}

func (c *treeCheck) walk(n parse.Node, dot dotKind, depth int) {
	if l, ok := n.(*parse.ListNode); c.err != nil || (ok && l == nil) {
		return // an if, with or range without else has a nil ElseList
	}
	c.nodes++
	c.steps += weight(depth)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, m := range n.Nodes {
			c.walk(m, dot, depth)
		}
	case *parse.ActionNode:
		c.pipeline(n.Pipe, dot, depth)
	case *parse.IfNode:
		c.pipeline(n.Pipe, dot, depth)
		c.walk(n.List, dot, depth)
		c.walk(n.ElseList, dot, depth)
	case *parse.WithNode:
		inner := c.pipeline(n.Pipe, dot, depth)
		c.walk(n.List, inner, depth)
		c.walk(n.ElseList, dot, depth)
	case *parse.RangeNode:
		c.walkRange(n, dot, depth)
	case *parse.TemplateNode:
		c.fail(n, "{{template}} and {{block}} are not available: write the text where it is used")
	}
}

func (c *treeCheck) walkRange(n *parse.RangeNode, dot dotKind, depth int) {
	before := c.steps
	over := c.pipeline(n.Pipe, dot, depth)
	switch {
	case over != dotItem || !plainValue(n.Pipe):
		c.fail(n, fmt.Sprintf("range must go over a list in the user's attributes, such as {{range .User.items}}, not %s", n.Pipe))
	case depth == maxRangeDepth:
		c.fail(n, fmt.Sprintf("ranges nest at most %d deep", maxRangeDepth))
	}
	c.walk(n.List, dotItem, depth+1)
	c.walk(n.ElseList, dot, depth)
	if steps := c.steps - before; depth == 0 && steps > c.heaviestSteps {
		c.heaviest, c.heaviestSteps = n, steps
	}
}

// plainValue reports whether p only names a value, such as .User.items or
// dot, rather than computing one.
func plainValue(p *parse.PipeNode) bool {
	if len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode, *parse.DotNode:
		return true
	}
	return false
}

// pipeline counts p's nodes, records it, and returns what it yields when
// that is a plain value, else dotOther.
func (c *treeCheck) pipeline(p *parse.PipeNode, dot dotKind, depth int) dotKind {
	i := len(c.pipes)
	c.pipes = append(c.pipes, pipe{pos: p.Pos})
	c.pipes[i].userData = c.args(p, dot, depth)
	if !plainValue(p) {
		return dotOther
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return dot.field(a.Ident)
	}
	return dot
}

// args counts the nodes of n, a pipeline or one of its parts, refuses call
// (nothing in a template's data is a function), and reports whether n
// reads anything that may come from the user's attributes.
func (c *treeCheck) args(n parse.Node, dot dotKind, depth int) bool {
	c.nodes++
	c.steps += weight(depth)
	user := false
	switch n := n.(type) {
	case *parse.PipeNode:
		for _, v := range n.Decl {
			c.args(v, dot, depth)
		}
		for _, cmd := range n.Cmds {
			user = c.args(cmd, dot, depth) || user
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			user = c.args(a, dot, depth) || user
		}
	case *parse.ChainNode:
		user = c.args(n.Node, dot, depth)
	case *parse.IdentifierNode:
		if n.Ident == "call" {
			c.fail(n, "call is not available: nothing a template reads is a function")
		}
	case *parse.FieldNode:
		user = dot.field(n.Ident).userData()
	case *parse.DotNode:
		user = dot.userData()
	case *parse.VariableNode:
		user = true // variables may hold anything, $ included
	}
	return user
}
