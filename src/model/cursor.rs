//! The one traversal of the concrete tree, as a pull cursor: what a target designates, in
//! tree order (TR-069 Amd 6 A.3.2.2/A.3.2.3 do not fix an order; this one is stable):
//! an object, its parameters, then its child objects; a table name, then its rows by
//! instance number, each followed by its content.
//!
//! Being pull-based, it lets a GetParameterValues or GetParameterNames response be encoded
//! as the HTTP body is written, never held whole in memory; its state is one frame per
//! level of the tree.

use super::text::Text;
use super::walk::{Item, Place, Target};
use super::Model;

#[derive(Debug)]
enum Frame {
    /// An object: next parameter index, next child index.
    Object { place: Place, param: usize, child: usize },
    /// A table below `parent`: its rows and the next one.
    Rows { parent: Place, row: usize, rows: Vec<(u32, String)>, next: usize, name: String },
    /// A single parameter target, not yet emitted.
    Param { place: Place, param: usize, done: bool },
    /// Parameters named one by one at one place, and the next to emit.
    Params { place: Place, params: Vec<usize>, next: usize },
}

/// Places kept for reuse, at most: deeper than any tree.
const SPARE: usize = 32;

/// What the last step produced, referring to the top frame.
enum Emit {
    Object,
    Table,
    Param { param: usize, value: Text, source: Option<usize> },
    Nothing,
}

/// A cursor over one target (or several, one after the other).
#[derive(Debug)]
pub struct Cursor<'m> {
    model: &'m Model,
    targets: std::vec::IntoIter<Target>,
    stack: Vec<Frame>,
    /// Emit parameters only (GetParameterValues).
    params_only: bool,
    pending: Option<(usize, Text, Option<usize>)>,
    /// Frames deeper than this are announced, not entered (GetParameterNames NextLevel).
    depth_limit: Option<usize>,
    /// A parameter of a `Target::Params` had no value.
    missing: bool,
    /// Places of frames left, kept for their buffers.
    spare: Vec<Place>,
}

impl<'m> Cursor<'m> {
    pub(super) fn new(model: &'m Model, target: Target, params_only: bool) -> Cursor<'m> {
        Self::over(model, vec![target], params_only)
    }

    pub(super) fn over(model: &'m Model, targets: Vec<Target>, params_only: bool) -> Cursor<'m> {
        // "" is every root, one after the other; without one, the targets as they are (an
        // ACS naming every leaf sends thousands).
        let targets =
            if targets.iter().any(|t| matches!(t, Target::Root)) { expand_roots(model, targets) } else { targets };
        Cursor {
            model,
            targets: targets.into_iter(),
            stack: Vec::new(),
            params_only,
            pending: None,
            depth_limit: None,
            missing: false,
            spare: Vec::new(),
        }
    }

    /// Only the target and its direct children (GetParameterNames with NextLevel true).
    pub(super) fn next_level(mut self) -> Self {
        self.depth_limit = Some(1);
        self
    }

    /// Whether a parameter named by a [`Target::Params`] was absent: the request names
    /// something that is not there (9005), found while walking instead of by a read of
    /// its own while resolving.
    pub fn missing(&self) -> bool {
        self.missing
    }

    /// Pushes the frames of the next target; what it emits first.
    fn start(&mut self, target: Target) -> Emit {
        let m = self.model;
        match target {
            Target::Root => Emit::Nothing,
            Target::Object(place) => {
                self.stack.push(Frame::Object { place, param: 0, child: 0 });
                Emit::Object
            }
            Target::Table { parent, row, name } => {
                let rows = m.rows(row, &parent);
                self.stack.push(Frame::Rows { parent, row, rows, next: 0, name });
                Emit::Table
            }
            Target::Param(place, param) => {
                self.stack.push(Frame::Param { place, param, done: false });
                Emit::Nothing
            }
            Target::Params(place, params) => {
                self.stack.push(Frame::Params { place, params, next: 0 });
                Emit::Nothing
            }
        }
    }

    /// Pops the top frame, keeping its place's buffers for the next one.
    fn pop(&mut self) -> Emit {
        match self.stack.pop() {
            Some(
                Frame::Object { place, .. }
                | Frame::Param { place, .. }
                | Frame::Params { place, .. }
                | Frame::Rows { parent: place, .. },
                // No more than a tree is deep: a walk of places named one by one (each its own
                // frame, none entered) reuses none.
            ) if self.spare.len() < SPARE => self.spare.push(place),
            _ => {}
        }
        Emit::Nothing
    }

    /// Advances the top frame by one step.
    fn step(&mut self) -> Emit {
        let m = self.model;
        // At the depth limit a child is announced but not entered.
        let at_limit = self.depth_limit.is_some_and(|l| self.stack.len() >= l);
        let Some(top) = self.stack.last_mut() else { return Emit::Nothing };
        match top {
            Frame::Param { place, param, done } => {
                if *done {
                    return self.pop();
                }
                *done = true;
                let spec = m.tree.object(place.obj).and_then(|o| o.params.get(*param));
                match spec.and_then(|s| m.value(place, s)) {
                    Some((value, source)) => Emit::Param { param: *param, value, source },
                    None => Emit::Nothing,
                }
            }
            Frame::Params { place, params, next } => {
                let Some(&param) = params.get(*next) else {
                    return self.pop();
                };
                *next += 1;
                let spec = m.tree.object(place.obj).and_then(|o| o.params.get(param));
                match spec.and_then(|s| m.value(place, s)) {
                    Some((value, source)) => Emit::Param { param, value, source },
                    None => {
                        self.missing = true;
                        Emit::Nothing
                    }
                }
            }
            Frame::Object { place, param, child } => {
                let Some(obj) = m.tree.object(place.obj) else {
                    return self.pop();
                };
                if let Some(spec) = obj.params.get(*param) {
                    let i = *param;
                    *param += 1;
                    return match m.value(place, spec) {
                        Some((value, source)) => Emit::Param { param: i, value, source },
                        None => Emit::Nothing,
                    };
                }
                let Some(&c) = m.tree.children(place.obj).get(*child) else {
                    return self.pop();
                };
                *child += 1;
                if !m.tree.is_present(c) {
                    return Emit::Nothing;
                }
                let mut next = self.spare.pop().unwrap_or_default();
                m.child_into(place, c, None, &mut next);
                if m.tree.object(c).is_some_and(|o| o.multi) {
                    let rows = if at_limit { Vec::new() } else { m.rows(c, place) };
                    let name = core::mem::take(&mut next.name);
                    // `next` becomes the table's parent: a copy of this place.
                    Model::copy_place(&mut next, place);
                    self.stack.push(Frame::Rows { parent: next, row: c, rows, next: 0, name });
                    Emit::Table
                } else {
                    let end = if at_limit { usize::MAX } else { 0 };
                    self.stack.push(Frame::Object { place: next, param: end, child: end });
                    Emit::Object
                }
            }
            Frame::Rows { parent, row, rows, next, .. } => {
                let Some((n, key)) = rows.get(*next) else {
                    return self.pop();
                };
                *next += 1;
                let mut place = self.spare.pop().unwrap_or_default();
                m.child_into(parent, *row, Some((*n, key)), &mut place);
                let end = if at_limit { usize::MAX } else { 0 };
                self.stack.push(Frame::Object { place, param: end, child: end });
                Emit::Object
            }
        }
    }

    /// The next item, or `None` when every target is done.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Item<'_>> {
        loop {
            let emit = if self.stack.is_empty() {
                let t = self.targets.next()?;
                self.start(t)
            } else {
                self.step()
            };
            match emit {
                Emit::Nothing => continue,
                Emit::Object | Emit::Table if self.params_only => continue,
                Emit::Param { param, value, source } => {
                    self.pending = Some((param, value, source));
                    break;
                }
                Emit::Object | Emit::Table => {
                    self.pending = None;
                    break;
                }
            }
        }
        let top = self.stack.last()?;
        let m = self.model;
        Some(match (top, self.pending.take()) {
            (
                Frame::Object { place, .. } | Frame::Param { place, .. } | Frame::Params { place, .. },
                Some((param, value, source)),
            ) => {
                let spec = m.tree.object(place.obj).and_then(|o| o.params.get(param))?;
                Item::Param { place, spec, value, source }
            }
            (Frame::Object { place, .. }, None) => Item::Object(place),
            (Frame::Rows { parent, row, name, .. }, None) => Item::Table { parent, row: *row, name },
            _ => return None,
        })
    }
}

/// `targets` with `Target::Root` replaced by every root object, one after the other.
fn expand_roots(model: &Model, targets: Vec<Target>) -> Vec<Target> {
    let mut expanded = Vec::with_capacity(targets.len());
    for t in targets {
        match t {
            Target::Root => {
                for &r in model.tree.roots() {
                    let name = model.tree.object(r).map(|o| o.path.to_string()).unwrap_or_default();
                    expanded.push(Target::Object(Place { obj: r, name, ..Place::default() }));
                }
            }
            t => expanded.push(t),
        }
    }
    expanded
}
