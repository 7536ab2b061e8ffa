//! Full-match of the regular expressions in TR-106 `pattern` facets (XML Schema regular
//! expressions, TR-106 3.2.3): literals, `.`, `\d \w \s` and their negations, escaped
//! metacharacters, classes with ranges and negation, groups, `|`, and the quantifiers
//! `? * + {n} {n,} {n,m}` (a lazy `?` after a quantifier means the same for a full match).
//!
//! Compiled to a small Thompson NFA and run in lock step, so matching is linear in the
//! input and cannot blow up; counted repetitions are expanded up to a fixed program size.
//! A pattern outside this subset gives `None` (the caller then does not restrict).

const MAX_PROGRAM: usize = 4096;
const MAX_INPUT: usize = 65_536;

#[derive(Debug, Clone)]
struct Class {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != self.negated
    }
}

#[derive(Debug, Clone)]
enum Node {
    Set(Class),
    Cat(Vec<Node>),
    Alt(Vec<Node>),
    Rep(Box<Node>, u32, Option<u32>),
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

fn one(c: char) -> Class {
    Class { ranges: vec![(c, c)], negated: false }
}

fn escape(c: char) -> Class {
    let digit = vec![('0', '9')];
    let word = vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
    let space = vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')];
    match c {
        'd' => Class { ranges: digit, negated: false },
        'D' => Class { ranges: digit, negated: true },
        'w' => Class { ranges: word, negated: false },
        'W' => Class { ranges: word, negated: true },
        's' => Class { ranges: space, negated: false },
        'S' => Class { ranges: space, negated: true },
        'n' => one('\n'),
        't' => one('\t'),
        'r' => one('\r'),
        c => one(c),
    }
}

impl Parser<'_> {
    fn alt(&mut self) -> Option<Node> {
        let mut alts = vec![self.cat()?];
        while self.chars.peek() == Some(&'|') {
            self.chars.next();
            alts.push(self.cat()?);
        }
        Some(if alts.len() == 1 { alts.pop()? } else { Node::Alt(alts) })
    }

    fn cat(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Some(Node::Cat(items))
    }

    fn number(&mut self) -> Option<u32> {
        let mut s = String::new();
        while let Some(c) = self.chars.peek().filter(|c| c.is_ascii_digit()) {
            s.push(*c);
            self.chars.next();
        }
        s.parse().ok()
    }

    fn quantified(&mut self, atom: Node) -> Option<Node> {
        let (min, max) = match self.chars.peek() {
            Some('?') => (0, Some(1)),
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('{') => {
                self.chars.next();
                let min = self.number()?;
                let max = if self.chars.peek() == Some(&',') {
                    self.chars.next();
                    if self.chars.peek() == Some(&'}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.chars.peek() != Some(&'}') {
                    return None;
                }
                (min, max)
            }
            _ => return Some(atom),
        };
        self.chars.next();
        if self.chars.peek() == Some(&'?') {
            self.chars.next();
        }
        if max.is_some_and(|m| m < min) {
            return None;
        }
        Some(Node::Rep(Box::new(atom), min, max))
    }

    fn atom(&mut self) -> Option<Node> {
        match self.chars.next()? {
            '(' => {
                let inner = self.alt()?;
                (self.chars.next()? == ')').then_some(inner)
            }
            '[' => self.class().map(Node::Set),
            '\\' => Some(Node::Set(escape(self.chars.next()?))),
            '.' => Some(Node::Set(Class { ranges: vec![('\n', '\n'), ('\r', '\r')], negated: true })),
            '*' | '+' | '?' | '{' | ']' | '}' => None,
            c => Some(Node::Set(one(c))),
        }
    }

    fn class(&mut self) -> Option<Class> {
        let negated = self.chars.peek() == Some(&'^');
        if negated {
            self.chars.next();
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.chars.next()?;
            match c {
                ']' if !first => return Some(Class { ranges, negated }),
                '\\' => ranges.extend(escape(self.chars.next()?).ranges),
                '[' => return None,
                c => {
                    let mut hi = c;
                    let mut look = self.chars.clone();
                    if look.next() == Some('-') && look.peek().is_some_and(|n| *n != ']') {
                        self.chars.next();
                        hi = self.chars.next()?;
                        if hi < c {
                            return None;
                        }
                    }
                    ranges.push((c, hi));
                }
            }
            first = false;
        }
    }
}

#[derive(Debug, Clone)]
enum Inst {
    Char(usize),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

struct Program {
    insts: Vec<Inst>,
    classes: Vec<Class>,
}

impl Program {
    fn emit(&mut self, n: &Node) -> Option<()> {
        if self.insts.len() > MAX_PROGRAM {
            return None;
        }
        match n {
            Node::Set(c) => {
                self.classes.push(c.clone());
                self.insts.push(Inst::Char(self.classes.len() - 1));
            }
            Node::Cat(items) => items.iter().try_for_each(|i| self.emit(i))?,
            Node::Alt(alts) => self.alternation(alts)?,
            Node::Rep(inner, min, max) => self.repeat(inner, *min, *max)?,
        }
        Some(())
    }

    fn alternation(&mut self, alts: &[Node]) -> Option<()> {
        let (first, rest) = alts.split_first()?;
        if rest.is_empty() {
            return self.emit(first);
        }
        let split = self.insts.len();
        self.insts.push(Inst::Split(split + 1, 0));
        self.emit(first)?;
        let jmp = self.insts.len();
        self.insts.push(Inst::Jmp(0));
        let second = self.insts.len();
        self.alternation(rest)?;
        let end = self.insts.len();
        *self.insts.get_mut(split)? = Inst::Split(split + 1, second);
        *self.insts.get_mut(jmp)? = Inst::Jmp(end);
        Some(())
    }

    fn repeat(&mut self, inner: &Node, min: u32, max: Option<u32>) -> Option<()> {
        for _ in 0..min {
            self.emit(inner)?;
        }
        match max {
            None => {
                let split = self.insts.len();
                self.insts.push(Inst::Split(split + 1, 0));
                self.emit(inner)?;
                self.insts.push(Inst::Jmp(split));
                let end = self.insts.len();
                *self.insts.get_mut(split)? = Inst::Split(split + 1, end);
            }
            Some(max) => {
                for _ in min..max {
                    let split = self.insts.len();
                    self.insts.push(Inst::Split(split + 1, 0));
                    self.emit(inner)?;
                    let end = self.insts.len();
                    *self.insts.get_mut(split)? = Inst::Split(split + 1, end);
                }
            }
        }
        Some(())
    }

    fn add(&self, list: &mut Vec<usize>, seen: &mut [bool], pc: usize) {
        let Some(flag) = seen.get_mut(pc) else { return };
        if *flag {
            return;
        }
        *flag = true;
        match self.insts.get(pc) {
            Some(Inst::Jmp(t)) => self.add(list, seen, *t),
            Some(Inst::Split(a, b)) => {
                self.add(list, seen, *a);
                self.add(list, seen, *b);
            }
            Some(_) => list.push(pc),
            None => {}
        }
    }

    fn full_match(&self, text: &str) -> bool {
        let mut seen = vec![false; self.insts.len()];
        let mut current = Vec::new();
        self.add(&mut current, &mut seen, 0);
        for c in text.chars() {
            seen.iter_mut().for_each(|s| *s = false);
            let mut next = Vec::new();
            for &pc in &current {
                if let Some(Inst::Char(k)) = self.insts.get(pc) {
                    if self.classes.get(*k).is_some_and(|cl| cl.matches(c)) {
                        self.add(&mut next, &mut seen, pc + 1);
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            current = next;
        }
        current.iter().any(|pc| matches!(self.insts.get(*pc), Some(Inst::Match)))
    }
}

/// Whether all of `text` matches `pattern`; `None` when the pattern is outside the
/// supported subset or the input is oversized.
pub fn full_match(pattern: &str, text: &str) -> Option<bool> {
    if text.len() > MAX_INPUT {
        return None;
    }
    let mut p = Parser { chars: pattern.chars().peekable() };
    let node = p.alt()?;
    if p.chars.next().is_some() {
        return None;
    }
    let mut prog = Program { insts: Vec::new(), classes: Vec::new() };
    prog.emit(&node)?;
    prog.insts.push(Inst::Match);
    (prog.insts.len() <= MAX_PROGRAM).then(|| prog.full_match(text))
}

#[cfg(test)]
mod tests {
    use super::full_match;

    #[test]
    fn tr181_patterns() {
        let mac = "([0-9A-Fa-f][0-9A-Fa-f]:){5}([0-9A-Fa-f][0-9A-Fa-f])";
        assert_eq!(full_match(mac, "aa:BB:cc:00:11:22"), Some(true));
        assert_eq!(full_match(mac, "aa:BB:cc:00:11:2"), Some(false));
        assert_eq!(full_match(mac, "aa:BB:cc:00:11:22:33"), Some(false));
        let ip = r"((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])";
        assert_eq!(full_match(ip, "192.168.1.254"), Some(true));
        assert_eq!(full_match(ip, "192.168.1.256"), Some(false));
        assert_eq!(full_match(ip, "1.2.3"), Some(false));
        assert_eq!(full_match(r"2\.\d+", "2.19"), Some(true));
        assert_eq!(full_match(r"2\.\d+", "2x19"), Some(false));
        assert_eq!(full_match("[0-9]{14,15}", "12345678901234"), Some(true));
        assert_eq!(full_match("[0-9]{14,15}", "1234567890123"), Some(false));
        assert_eq!(full_match("([0-9]{1,15}?[BKMGT])", "512K"), Some(true));
        assert_eq!(full_match(r"X_.+", "X_ACME"), Some(true));
        assert_eq!(full_match(r"(\d+(:\d+)*)?", ""), Some(true));
        assert_eq!(full_match("[^a]b", "bb"), Some(true));
        assert_eq!(full_match("[A-Z][A-Z][", "AB"), None);
        assert_eq!(full_match("a{3,1}", "a"), None);
    }

    #[test]
    fn no_blow_up() {
        let text = "a".repeat(5000) + "b";
        assert_eq!(full_match("(a|a)*(a|a)*c", &text), Some(false));
        assert_eq!(full_match("(a{1000}){1000}", "a"), None);
    }
}
