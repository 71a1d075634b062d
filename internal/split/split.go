// Package split cuts a long article into sections under a size budget:
// at headings first, then between paragraphs, never inside a fenced code
// block (Markdown) or an HTML element. The sections, joined, give back the
// article byte for byte.
package split

import (
	"regexp"
	"strings"
)

// unit is a piece that is never cut: a paragraph, a heading, a code
// block, a top-level HTML element. heading marks one that starts a
// section.
type unit struct {
	text    string
	heading bool
}

// Sections cuts text (format "markdown", "html" or "text") into sections
// of at most maxBytes each where it can: a single paragraph or block
// larger than that stays whole.
func Sections(text, format string, maxBytes int) []string {
	return SectionsBy(text, format, maxBytes, func(s string) int { return len(s) })
}

// Words counts the words of s: runs of letters, digits and other
// characters between white space.
func Words(s string) int { return len(strings.Fields(s)) }

// SectionsBy is Sections with another measure than bytes: sections of at
// most limit by size (Words, say).
func SectionsBy(text, format string, limit int, size func(string) int) []string {
	var units []unit
	switch format {
	case "html":
		units = htmlUnits(text)
	default:
		units = lineUnits(text, format == "markdown")
	}
	// Group the units into heading sections, then pack them under the budget.
	var out []string
	var cur strings.Builder
	curSize := 0
	add := func(u unit) {
		cur.WriteString(u.text)
		curSize += size(u.text)
	}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curSize = 0
		}
	}
	for i := 0; i < len(units); {
		// The heading section starting at i: up to the next heading.
		j := i + 1
		for j < len(units) && !units[j].heading {
			j++
		}
		sec := 0
		for _, u := range units[i:j] {
			sec += size(u.text)
		}
		switch {
		case curSize+sec <= limit:
		case sec <= limit:
			flush()
		default: // a section too large for one request: cut between paragraphs
			flush()
			for _, u := range units[i:j] {
				if cur.Len() > 0 && curSize+size(u.text) > limit {
					flush()
				}
				add(u)
			}
			i = j
			continue
		}
		for _, u := range units[i:j] {
			add(u)
		}
		i = j
	}
	flush()
	return out
}

// lineUnits cuts Markdown or plain text into paragraphs (blank-line
// separated, the blank lines kept with the paragraph before), headings
// and fenced code blocks.
func lineUnits(text string, markdown bool) []unit {
	lines := strings.SplitAfter(text, "\n")
	var units []unit
	var cur strings.Builder
	curHeading := false
	fence := ""
	push := func() {
		if cur.Len() > 0 {
			units = append(units, unit{cur.String(), curHeading})
			cur.Reset()
		}
		curHeading = false
	}
	prevBlank := true
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if markdown && fence != "" { // inside a code block: nothing cuts it
			cur.WriteString(line)
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		blank := trimmed == ""
		isHeading := markdown && strings.HasPrefix(trimmed, "#") && strings.TrimLeft(trimmed, "#") != "" &&
			strings.HasPrefix(strings.TrimLeft(trimmed, "#"), " ")
		startsFence := markdown && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"))
		if !blank && (prevBlank || isHeading) {
			push() // a new paragraph or a heading starts a unit
			curHeading = isHeading
		}
		cur.WriteString(line)
		if startsFence {
			fence = trimmed[:3]
		}
		prevBlank = blank
	}
	push()
	return units
}

var (
	tagRe     = regexp.MustCompile(`^<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>`)
	voidTags  = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
	rawText   = map[string]bool{"script": true, "style": true, "pre": true, "textarea": true}
	headingRe = regexp.MustCompile(`^h[1-6]$`)
)

// htmlUnits cuts HTML into top-level pieces: a unit ends when the depth
// of open elements comes back to zero after an element; a top-level
// heading starts one.
func htmlUnits(text string) []unit {
	var units []unit
	start, depth := 0, 0
	heading := false
	push := func(end int) {
		if end > start {
			units = append(units, unit{text[start:end], heading})
		}
		start, heading = end, false
	}
	for i := 0; i < len(text); {
		if text[i] != '<' {
			i++
			continue
		}
		if strings.HasPrefix(text[i:], "<!--") {
			end := strings.Index(text[i:], "-->")
			if end < 0 {
				break
			}
			i += end + 3
			continue
		}
		m := tagRe.FindStringSubmatch(text[i:])
		if m == nil {
			i++
			continue
		}
		closing, name, self := m[1] == "/", strings.ToLower(m[2]), m[3] == "/"
		switch {
		case closing:
			depth = max(depth-1, 0)
			i += len(m[0])
			if depth == 0 {
				// Keep the white space after the element with it.
				j := i
				for j < len(text) && (text[j] == '\n' || text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
					j++
				}
				push(j)
				i = j
			}
			continue
		case voidTags[name] || self:
			i += len(m[0])
			continue
		}
		if depth == 0 && headingRe.MatchString(name) {
			push(i)
			heading = true
		}
		depth++
		i += len(m[0])
		if rawText[name] { // skip to its end: its text may hold '<'
			end := strings.Index(strings.ToLower(text[i:]), "</"+name)
			if end < 0 {
				break
			}
			i += end
		}
	}
	start = min(start, len(text))
	push(len(text))
	return units
}

// Sentences cuts a part longer than limit words (a paragraph too long for
// one request) after sentence ends, then between words, into pieces of
// at most limit words; the pieces, joined, give back the part. A part
// that holds a fenced code block or markup ('<', '`') is returned whole:
// no cut may enter it.
func Sentences(part string, limit int) []string {
	if Words(part) <= limit || strings.ContainsAny(part, "<`") {
		return []string{part}
	}
	var out []string
	start, words, inWord := 0, 0, false
	lastSentence, lastWord := -1, -1 // cut points: just after a sentence's end, or a word
	for i, r := range part {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !space && !inWord {
			if words == limit { // this word would pass the limit: cut before it
				cut := lastSentence
				if cut <= start {
					cut = lastWord
				}
				out = append(out, part[start:cut])
				start = cut
				words = Words(part[start:i])
			}
			words++
		}
		if space && inWord {
			lastWord = i
			if j := i - 1; j >= 0 && strings.ContainsRune(".!?", rune(part[j])) {
				lastSentence = i
			}
		}
		inWord = !space
	}
	return append(out, part[start:])
}
