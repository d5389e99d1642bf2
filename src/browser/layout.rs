//! Where each node of a network goes in a picture: computed here, in Rust, so `netlab topo`
//! draws the SVG without a browser and `netlab view` ships the very same coordinates to the page
//! (one layout, two outputs; no JavaScript layout library to keep in step).
//!
//! The rule is the one a teacher draws on a board:
//! - a host whose only cable goes to a switch or hub is a *member* of that LAN: members sit in a
//!   row under their switch;
//! - every other node (switches, hubs, routers, hosts cabled to a router or to another host) is
//!   on the *backbone*, laid out as a tree from one end of its longest path: columns by hop
//!   count, so routers fall between the LANs they join and a chain of routers reads left to
//!   right;
//! - separate networks (two LANs with no cable between them) are stacked.
//!
//! Everything is in node order and integer arithmetic on slots: the same scenario always gives
//! the same picture.

use std::collections::VecDeque;

/// What the layout needs to know of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Host,
    Router,
    Switch,
    Hub,
}

impl Shape {
    fn is_lan(self) -> bool {
        matches!(self, Shape::Switch | Shape::Hub)
    }
}

/// Node positions (centres) in a picture of `width` × `height`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub pos: Vec<(f64, f64)>,
}

/// Horizontal room for one member host, and for a backbone column.
const MEMBER_W: f64 = 150.0;
const COLUMN_W: f64 = 330.0;
/// Vertical room for a backbone node, and for the row of members under it.
const ROW_H: f64 = 150.0;
const MEMBERS_H: f64 = 170.0;
const MARGIN: f64 = 90.0;

/// Lays out `shapes.len()` nodes joined by `links` (pairs of node indices).
pub fn layout(shapes: &[Shape], links: &[(usize, usize)]) -> Layout {
    let n = shapes.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in links {
        if a < n && b < n && a != b {
            adj[a].push(b);
            adj[b].push(a);
        }
    }
    for a in &mut adj {
        a.sort_unstable();
        a.dedup();
    }
    // Members: a host with one neighbour, a switch or hub.
    let lan_of: Vec<Option<usize>> = (0..n)
        .map(|i| match (shapes[i], adj[i].as_slice()) {
            (Shape::Host, [only]) if shapes[*only].is_lan() => Some(*only),
            _ => None,
        })
        .collect();
    let members = |b: usize| -> Vec<usize> { (0..n).filter(|&i| lan_of[i] == Some(b)).collect() };
    let backbone: Vec<bool> = (0..n).map(|i| lan_of[i].is_none()).collect();
    let bb_adj = |i: usize| adj[i].iter().copied().filter(|&j| backbone[j]);

    let mut pos = vec![(0.0, 0.0); n];
    let mut placed = vec![false; n];
    let mut top = MARGIN;
    let mut width: f64 = 0.0;
    for start in 0..n {
        if !backbone[start] || placed[start] {
            continue;
        }
        // One end of the component's longest path (the farthest node from its first node,
        // and the farthest from that): the one declared first goes on the left.
        let a = *bfs(start, &bb_adj, n).0.last().unwrap_or(&start);
        let b = *bfs(a, &bb_adj, n).0.last().unwrap_or(&a);
        let root = a.min(b);
        let (order, parent, depth) = bfs(root, &bb_adj, n);
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &v in &order {
            if let Some(p) = parent[v] {
                children[p].push(v);
            }
        }
        // Column widths: a LAN with many members needs a wide column.
        let max_depth = order.iter().map(|&v| depth[v]).max().unwrap_or(0);
        let mut col_w = vec![COLUMN_W; max_depth + 1];
        for &v in &order {
            let m = members(v).len() as f64;
            col_w[depth[v]] = col_w[depth[v]].max(m * MEMBER_W + 40.0);
        }
        let mut col_x = Vec::with_capacity(col_w.len());
        let mut x = MARGIN;
        for w in &col_w {
            col_x.push(x + w / 2.0 - COLUMN_W / 2.0 + 40.0);
            x += w;
        }
        width = width.max(x - COLUMN_W / 2.0 + 40.0 + MARGIN);
        // Rows: a tidy tree. Leaves of the tree take the next free band (taller with members);
        // a parent sits level with its first child so chains stay straight.
        let mut y = top;
        let mut stack = vec![(root, false)];
        let mut bottom = top;
        while let Some((v, done)) = stack.pop() {
            if done {
                let first = children[v][0];
                pos[v].1 = pos[first].1;
                continue;
            }
            pos[v].0 = col_x[depth[v]];
            placed[v] = true;
            if children[v].is_empty() {
                let band = ROW_H
                    + if members(v).is_empty() {
                        0.0
                    } else {
                        MEMBERS_H
                    };
                pos[v].1 = y + ROW_H / 2.0 - 30.0;
                y += band;
                bottom = bottom.max(y);
            } else {
                stack.push((v, true));
                for &c in children[v].iter().rev() {
                    stack.push((c, false));
                }
            }
        }
        // A node with members but children keeps its members' band free below it.
        for &v in &order {
            if !children[v].is_empty() && !members(v).is_empty() {
                bottom = bottom.max(pos[v].1 + ROW_H / 2.0 + MEMBERS_H);
            }
        }
        // Members in a row under their LAN, centred.
        for &v in &order {
            let ms = members(v);
            let k = ms.len() as f64;
            for (i, &m) in ms.iter().enumerate() {
                pos[m] = (
                    pos[v].0 + (i as f64 - (k - 1.0) / 2.0) * MEMBER_W,
                    pos[v].1 + MEMBERS_H,
                );
                placed[m] = true;
            }
        }
        top = bottom + 20.0;
    }
    // Members of a LAN whose switch is on no backbone cannot happen (a switch is always on the
    // backbone); nodes without any cable were placed as components of one.
    let min_x = pos
        .iter()
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min)
        .min(MARGIN);
    let shift = if min_x < MARGIN { MARGIN - min_x } else { 0.0 };
    for p in &mut pos {
        p.0 += shift;
    }
    let max_x = pos.iter().map(|p| p.0).fold(0.0, f64::max);
    let max_y = pos.iter().map(|p| p.1).fold(0.0, f64::max);
    Layout {
        width: (max_x + MARGIN + 60.0).max(width + shift).max(400.0),
        height: (max_y + MARGIN + 20.0).max(top),
        pos,
    }
}

/// Breadth-first order from `root`, parents and depths (neighbours in index order).
fn bfs<I: Iterator<Item = usize>>(
    root: usize,
    adj: &dyn Fn(usize) -> I,
    n: usize,
) -> (Vec<usize>, Vec<Option<usize>>, Vec<usize>) {
    let mut seen = vec![false; n];
    let mut parent = vec![None; n];
    let mut depth = vec![0; n];
    let mut order = Vec::new();
    let mut q = VecDeque::from([root]);
    seen[root] = true;
    while let Some(v) = q.pop_front() {
        order.push(v);
        for w in adj(v) {
            if !seen[w] {
                seen[w] = true;
                parent[w] = Some(v);
                depth[w] = depth[v] + 1;
                q.push_back(w);
            }
        }
    }
    (order, parent, depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_sit_under_their_switch_and_routers_between_lans() {
        // alice, bob on sw1; carol on sw2; r1 joins sw1 and sw2.
        use Shape::*;
        let shapes = [Host, Host, Host, Switch, Switch, Router];
        let links = [(0, 3), (1, 3), (2, 4), (3, 5), (5, 4)];
        let l = layout(&shapes, &links);
        let (a, b, c, s1, s2, r) = (l.pos[0], l.pos[1], l.pos[2], l.pos[3], l.pos[4], l.pos[5]);
        assert!(
            a.1 > s1.1 && b.1 > s1.1 && c.1 > s2.1,
            "members below: {l:?}"
        );
        assert!((a.0 + b.0) / 2.0 - s1.0 < 1.0, "centred under sw1");
        assert!(
            s1.0 < r.0 && r.0 < s2.0 || s2.0 < r.0 && r.0 < s1.0,
            "router between"
        );
        assert_eq!(s1.1, r.1);
        assert_eq!(r.1, s2.1);
        for (i, p) in l.pos.iter().enumerate() {
            assert!(
                p.0 > 0.0 && p.0 < l.width && p.1 > 0.0 && p.1 < l.height,
                "{i} inside"
            );
        }
    }

    #[test]
    fn a_chain_is_a_line_and_separate_networks_are_stacked() {
        use Shape::*;
        let chain = layout(&[Host, Router, Router, Host], &[(0, 1), (1, 2), (2, 3)]);
        let ys: Vec<f64> = chain.pos.iter().map(|p| p.1).collect();
        assert!(ys.iter().all(|y| *y == ys[0]));
        let xs: Vec<f64> = chain.pos.iter().map(|p| p.0).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]) || xs.windows(2).all(|w| w[0] > w[1]));
        let two = layout(&[Host, Switch, Host, Hub], &[(0, 1), (2, 3)]);
        assert!(two.pos[3].1 > two.pos[1].1 + 100.0);
    }

    #[test]
    fn no_two_nodes_share_a_place() {
        use Shape::*;
        // A loop of three switches with two hosts each.
        let shapes = [Switch, Switch, Switch, Host, Host, Host, Host, Host, Host];
        let links = [
            (0, 1),
            (1, 2),
            (2, 0),
            (3, 0),
            (4, 0),
            (5, 1),
            (6, 1),
            (7, 2),
            (8, 2),
        ];
        let l = layout(&shapes, &links);
        for i in 0..l.pos.len() {
            for j in i + 1..l.pos.len() {
                let (p, q) = (l.pos[i], l.pos[j]);
                assert!(
                    (p.0 - q.0).abs() + (p.1 - q.1).abs() > 100.0,
                    "{i} and {j} overlap: {l:?}"
                );
            }
        }
    }
}
