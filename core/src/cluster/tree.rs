//! Steps 3–5: the single-linkage hierarchy from the MST, the condensed tree, cluster
//! stabilities, the selection of clusters, labels, membership probabilities and GLOSH outlier
//! scores. Node ids follow scikit-learn's: points `0..n`, merges `n..2n − 1` in the hierarchy;
//! in the condensed tree the root cluster is `n` and new clusters are numbered in the
//! breadth-first order of the hierarchy, so stabilities can be compared id by id.

use super::mst::Edge;

/// One merge of the single-linkage hierarchy (a row of a SciPy linkage matrix).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    /// Node merged (a point or an earlier merge `n + i`).
    pub left: usize,
    /// The other node.
    pub right: usize,
    /// Mutual-reachability distance of the merge.
    pub distance: f64,
    /// Points under the merged node.
    pub size: usize,
}

/// Union-find over points and merges, with path compression.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(nodes: usize, points: usize) -> Self {
        Self {
            parent: (0..nodes).collect(),
            size: (0..nodes).map(|i| usize::from(i < points)).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        let mut root = x;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        while self.parent[x] != root {
            let next = self.parent[x];
            self.parent[x] = root;
            x = next;
        }
        root
    }
}

/// Step 3: the single-linkage hierarchy of `n` points from their MST: edges by increasing
/// distance (a stable sort, ties in MST order), each joining the current components of its
/// ends into a new node.
pub fn single_linkage(mut mst: Vec<Edge>, n: usize) -> Vec<Merge> {
    mst.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    let mut uf = UnionFind::new(2 * n.max(1) - 1, n);
    mst.iter()
        .enumerate()
        .map(|(i, e)| {
            let (left, right) = (uf.find(e.a), uf.find(e.b));
            let node = n + i;
            let size = uf.size[left] + uf.size[right];
            uf.parent[left] = node;
            uf.parent[right] = node;
            uf.size[node] = size;
            Merge {
                left,
                right,
                distance: e.distance,
                size,
            }
        })
        .collect()
}

/// One row of the condensed tree: `child` (a point or a cluster) leaves `parent` at density
/// `lambda = 1 / distance`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CondensedRow {
    /// A cluster id (`≥ n`).
    pub parent: usize,
    /// A point (`< n`) or a cluster.
    pub child: usize,
    /// `1 / distance` of the split (infinite at distance 0).
    pub lambda: f64,
    /// Points under `child`.
    pub size: usize,
}

/// The condensed cluster tree of `n` points.
#[derive(Debug, Clone, PartialEq)]
pub struct CondensedTree {
    /// Points clustered.
    pub num_points: usize,
    /// The rows, parents before their children.
    pub rows: Vec<CondensedRow>,
}

/// Nodes under `root` of the hierarchy, breadth first, `root` included (scikit-learn's
/// `bfs_from_hierarchy`).
fn bfs_hierarchy(hierarchy: &[Merge], root: usize, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut level = vec![root];
    while !level.is_empty() {
        out.extend_from_slice(&level);
        level = level
            .iter()
            .filter(|&&x| x >= n)
            .flat_map(|&x| {
                let m = hierarchy[x - n];
                [m.left, m.right]
            })
            .collect();
    }
    out
}

fn lambda_of(distance: f64) -> f64 {
    if distance > 0.0 {
        1.0 / distance
    } else {
        f64::INFINITY
    }
}

/// Step 4: condense the hierarchy of `n` points by `min_cluster_size`: a split where both
/// sides have at least `min_cluster_size` points makes two new clusters; otherwise the small
/// sides' points fall out of the cluster at that density and the big side (if any) continues
/// it. Iterative: the hierarchy is walked breadth first from an explicit list.
pub fn condense(hierarchy: &[Merge], n: usize, min_cluster_size: usize) -> CondensedTree {
    let mut rows = Vec::new();
    if n < 2 {
        return CondensedTree {
            num_points: n,
            rows,
        };
    }
    let root = 2 * (n - 1);
    let size_of = |node: usize| {
        if node >= n {
            hierarchy[node - n].size
        } else {
            1
        }
    };
    let mut relabel = vec![0usize; root + 1];
    relabel[root] = n;
    let mut next_label = n + 1;
    let mut ignore = vec![false; root + 1];
    for node in bfs_hierarchy(hierarchy, root, n) {
        if ignore[node] || node < n {
            continue;
        }
        let m = hierarchy[node - n];
        let lambda = lambda_of(m.distance);
        let (left_count, right_count) = (size_of(m.left), size_of(m.right));
        let parent = relabel[node];
        let mut fall_out = |side: usize, rows: &mut Vec<CondensedRow>| {
            for sub in bfs_hierarchy(hierarchy, side, n) {
                if sub < n {
                    rows.push(CondensedRow {
                        parent,
                        child: sub,
                        lambda,
                        size: 1,
                    });
                }
                ignore[sub] = true;
            }
        };
        let (big_left, big_right) = (
            left_count >= min_cluster_size,
            right_count >= min_cluster_size,
        );
        match (big_left, big_right) {
            (true, true) => {
                for (side, count) in [(m.left, left_count), (m.right, right_count)] {
                    relabel[side] = next_label;
                    next_label += 1;
                    rows.push(CondensedRow {
                        parent,
                        child: relabel[side],
                        lambda,
                        size: count,
                    });
                }
            }
            (false, false) => {
                fall_out(m.left, &mut rows);
                fall_out(m.right, &mut rows);
            }
            (false, true) => {
                relabel[m.right] = parent;
                fall_out(m.left, &mut rows);
            }
            (true, false) => {
                relabel[m.left] = parent;
                fall_out(m.right, &mut rows);
            }
        }
    }
    CondensedTree {
        num_points: n,
        rows,
    }
}

impl CondensedTree {
    /// The root cluster's id (`n`).
    pub fn root(&self) -> usize {
        self.num_points
    }

    /// One past the largest cluster id.
    pub fn cluster_end(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.parent.max(if r.size > 1 { r.child } else { 0 }))
            .max()
            .map_or(self.num_points + 1, |m| m + 1)
    }

    /// Excess of mass of every cluster, indexed by `id − n`:
    /// `S(C) = Σ_{x ∈ C} (λ_x − λ_birth(C))·size_x` over the rows whose parent is `C`.
    pub fn stabilities(&self) -> Vec<f64> {
        let (n, end) = (self.num_points, self.cluster_end());
        let mut birth = vec![0.0; end - n];
        for r in self.rows.iter().filter(|r| r.child >= n) {
            birth[r.child - n] = r.lambda;
        }
        let mut out = vec![0.0; end - n];
        for r in &self.rows {
            out[r.parent - n] += (r.lambda - birth[r.parent - n]) * r.size as f64;
        }
        out
    }

    /// The cluster rows (children that are clusters).
    /// The `λ` at which `cluster` appears (0 for the root): points reached from its members at
    /// a mutual-reachability distance up to `1/λ_birth` join it.
    pub fn birth(&self, cluster: usize) -> f64 {
        self.cluster_rows()
            .find(|r| r.child == cluster)
            .map_or(0.0, |r| r.lambda)
    }

    fn cluster_rows(&self) -> impl Iterator<Item = &CondensedRow> {
        self.rows.iter().filter(|r| r.child >= self.num_points)
    }

    /// Clusters under `cluster` in the cluster tree, itself included, breadth first.
    fn descendants(&self, cluster: usize) -> Vec<usize> {
        let mut out = vec![cluster];
        let mut i = 0;
        while i < out.len() {
            let c = out[i];
            out.extend(
                self.cluster_rows()
                    .filter(|r| r.parent == c)
                    .map(|r| r.child),
            );
            i += 1;
        }
        out
    }

    /// A new point attached to training point `neighbour` at density `lambda`: the label of
    /// the selected cluster it falls in and its membership (see
    /// [`super::Clustering::predict`]).
    pub fn place(&self, neighbour: usize, lambda: f64, clusters: &[usize]) -> (i32, f64) {
        let n = self.num_points;
        let root = self.root();
        let Some(row) = self.rows.iter().find(|r| r.child == neighbour) else {
            return (-1, 0.0);
        };
        let parent_of = |c: usize| self.cluster_rows().find(|r| r.child == c);
        let (mut cluster, lambda) = if row.lambda <= lambda {
            (row.parent, row.lambda)
        } else {
            // the cluster alive at the new point's density
            let mut c = row.parent;
            while let Some(r) = parent_of(c).filter(|r| c > root && r.lambda >= lambda) {
                c = r.parent;
            }
            (c, lambda)
        };
        // up to the selected cluster holding it
        loop {
            if let Ok(label) = clusters.binary_search(&cluster) {
                let max_lambda = self.deaths()[cluster - n];
                let p = if max_lambda == 0.0 || !lambda.is_finite() {
                    1.0
                } else {
                    lambda.min(max_lambda) / max_lambda
                };
                return (label as i32, p);
            }
            match parent_of(cluster) {
                Some(r) => cluster = r.parent,
                None => return (-1, 0.0),
            }
        }
    }

    /// The largest `λ` at which a point leaves each cluster (its death), indexed by `id − n`.
    fn deaths(&self) -> Vec<f64> {
        let n = self.num_points;
        let mut d = vec![0.0f64; self.cluster_end() - n];
        for r in &self.rows {
            d[r.parent - n] = d[r.parent - n].max(r.lambda);
        }
        d
    }
}

/// How clusters are chosen from the condensed tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ClusterSelection {
    /// Excess of mass: the set of clusters of largest total stability with no cluster inside
    /// another (HDBSCAN's default).
    #[default]
    ExcessOfMass,
    /// The leaves of the cluster tree: many small, homogeneous clusters.
    Leaf,
}

/// Settings of the selection (step 5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// The method.
    pub method: ClusterSelection,
    /// Clusters split below this distance are merged back (0: off).
    pub epsilon: f64,
    /// Allow the root as the only cluster.
    pub allow_single_cluster: bool,
    /// Clusters larger than this are not selected by excess of mass (None: no limit).
    pub max_cluster_size: Option<usize>,
}

/// The selected clusters, as condensed-tree ids, ascending.
pub fn select_clusters(tree: &CondensedTree, sel: &Selection) -> Vec<usize> {
    let n = tree.num_points;
    let end = tree.cluster_end();
    let mut stability = tree.stabilities();
    let root = tree.root();
    let mut is_cluster = vec![false; end - n];
    // candidate clusters: every cluster, highest id first; the root only if allowed
    let mut nodes: Vec<usize> = (n..end).rev().collect();
    if !sel.allow_single_cluster {
        nodes.pop();
    }
    for &c in &nodes {
        is_cluster[c - n] = true;
    }
    let size: Vec<usize> = {
        let mut s = vec![0usize; end - n];
        for r in tree.cluster_rows() {
            s[r.child - n] = r.size;
        }
        // the root's size is what its child clusters hold (scikit-learn's choice)
        s[0] = tree
            .cluster_rows()
            .filter(|r| r.parent == root)
            .map(|r| r.size)
            .sum();
        s
    };
    match sel.method {
        ClusterSelection::ExcessOfMass => {
            for &node in &nodes {
                let subtree: f64 = tree
                    .cluster_rows()
                    .filter(|r| r.parent == node)
                    .map(|r| stability[r.child - n])
                    .sum();
                let too_big = sel.max_cluster_size.is_some_and(|m| size[node - n] > m);
                if subtree > stability[node - n] || too_big {
                    is_cluster[node - n] = false;
                    stability[node - n] = subtree;
                } else {
                    for sub in tree.descendants(node).into_iter().skip(1) {
                        is_cluster[sub - n] = false;
                    }
                }
            }
            if sel.epsilon != 0.0 && tree.cluster_rows().next().is_some() {
                let chosen: Vec<usize> = (n..end).filter(|&c| is_cluster[c - n]).collect();
                let selected = if chosen == [root] {
                    if sel.allow_single_cluster {
                        chosen
                    } else {
                        vec![]
                    }
                } else {
                    epsilon_search(tree, &chosen, sel)
                };
                for c in n..end {
                    is_cluster[c - n] = selected.contains(&c);
                }
            }
        }
        ClusterSelection::Leaf => {
            let leaves: Vec<usize> = (n + 1..end)
                .filter(|&c| !tree.cluster_rows().any(|r| r.parent == c))
                .collect();
            // no leaves (no split at all): no cluster, as in scikit-learn
            is_cluster.iter_mut().for_each(|x| *x = false);
            let selected = if sel.epsilon != 0.0 {
                epsilon_search(tree, &leaves, sel)
            } else {
                leaves
            };
            for c in selected {
                is_cluster[c - n] = true;
            }
        }
    }
    (n..end).filter(|&c| is_cluster[c - n]).collect()
}

/// `cluster_selection_epsilon`: a chosen cluster born below `epsilon` (in distance) is
/// replaced by its nearest ancestor born above it (the root only when single clusters are
/// allowed).
fn epsilon_search(tree: &CondensedTree, chosen: &[usize], sel: &Selection) -> Vec<usize> {
    let root = tree.root();
    let birth_distance = |c: usize| {
        tree.cluster_rows()
            .find(|r| r.child == c)
            .map_or(0.0, |r| 1.0 / r.lambda)
    };
    let parent_of = |c: usize| tree.cluster_rows().find(|r| r.child == c).map(|r| r.parent);
    let mut selected: Vec<usize> = Vec::new();
    let mut processed: Vec<usize> = Vec::new();
    for &leaf in chosen {
        if birth_distance(leaf) < sel.epsilon {
            if processed.contains(&leaf) {
                continue;
            }
            // walk up until a parent born above epsilon
            let mut node = leaf;
            let up = loop {
                match parent_of(node) {
                    Some(p) if p == root => {
                        break if sel.allow_single_cluster { p } else { node };
                    }
                    Some(p) if birth_distance(p) > sel.epsilon => break p,
                    Some(p) => node = p,
                    None => break node,
                }
            };
            selected.push(up);
            processed.extend(tree.descendants(up).into_iter().skip(1));
        } else {
            selected.push(leaf);
        }
    }
    selected.sort_unstable();
    selected.dedup();
    selected
}

/// Labels (`−1` for noise, else the index of the cluster among `clusters`), membership
/// probabilities and GLOSH outlier scores of the points.
pub fn label_points(
    tree: &CondensedTree,
    clusters: &[usize],
    sel: &Selection,
) -> (Vec<i32>, Vec<f64>, Vec<f64>) {
    let n = tree.num_points;
    let root = tree.root();
    let end = tree.cluster_end();
    // each point to the selected cluster it belongs to: up through unselected clusters
    let mut up: Vec<usize> = (0..end).collect();
    for r in &tree.rows {
        if !clusters.contains(&r.child) {
            up[r.child] = r.parent;
        }
    }
    let find = |mut x: usize| {
        while up[x] != x {
            x = up[x];
        }
        x
    };
    let root_max_lambda = tree
        .rows
        .iter()
        .filter(|r| r.parent == root)
        .map(|r| r.lambda)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut point_lambda = vec![0.0; n];
    let mut point_parent = vec![root; n];
    for r in tree.rows.iter().filter(|r| r.child < n) {
        point_lambda[r.child] = r.lambda;
        point_parent[r.child] = r.parent;
    }
    let labels: Vec<i32> = (0..n)
        .map(|p| {
            let c = find(p);
            let index = || clusters.binary_search(&c).map_or(-1, |i| i as i32);
            if c < root {
                -1
            } else if c == root {
                let single = clusters.len() == 1 && sel.allow_single_cluster;
                let keep = if sel.epsilon != 0.0 {
                    point_lambda[p] >= 1.0 / sel.epsilon
                } else {
                    point_lambda[p] >= root_max_lambda
                };
                if single && keep { index() } else { -1 }
            } else {
                index()
            }
        })
        .collect();
    let deaths = tree.deaths();
    let probabilities = (0..n)
        .map(|p| {
            let Ok(i) = usize::try_from(labels[p]) else {
                return 0.0;
            };
            let max_lambda = deaths[clusters[i] - n];
            if max_lambda == 0.0 || !point_lambda[p].is_finite() {
                1.0
            } else {
                point_lambda[p].min(max_lambda) / max_lambda
            }
        })
        .collect();
    // GLOSH: a cluster's death is the largest λ in its whole subtree
    let mut subtree_deaths = deaths;
    let mut cluster_rows: Vec<&CondensedRow> = tree.cluster_rows().collect();
    cluster_rows.sort_by_key(|r| std::cmp::Reverse(r.child));
    for r in cluster_rows {
        let d = subtree_deaths[r.child - n];
        if d > subtree_deaths[r.parent - n] {
            subtree_deaths[r.parent - n] = d;
        }
    }
    let outliers = (0..n)
        .map(|p| {
            let max_lambda = subtree_deaths[point_parent[p] - n];
            if max_lambda == 0.0 || !point_lambda[p].is_finite() {
                0.0
            } else if !max_lambda.is_finite() {
                // the cluster holds duplicates (infinite density): the limit of the ratio
                1.0
            } else {
                (max_lambda - point_lambda[p]) / max_lambda
            }
        })
        .collect();
    (labels, probabilities, outliers)
}
