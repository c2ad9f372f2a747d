//! MovieLens-100K (GroupLens: `u.data`, `u.item`, `u.user`) as behaviour sessions, the way the
//! NHFM paper uses MovieLens-1M: each rating is an event (movie, its first listed genre, its
//! release year, the rating, plus the derived hour of day and gap), the user's demographics
//! are the profile, and the task is the label of the next rating from the previous ones.
//!
//! - **Binarisation** (the common one, which gives the paper's 57.5% positives on
//!   MovieLens-1M): a rating of 4 or 5 is positive, 1–3 negative.
//! - **Samples**: for each user, each of their last `targets_per_user` ratings (in time order)
//!   is a target; its session holds up to `max_events − 1` earlier ratings of the user (with
//!   their ratings) and the target event with its rating removed.
//! - **Split**: by time (`seqrisk train --split time`): the sessions whose target is most
//!   recent are the test split, the next most recent the validation split.

use anyhow::{Context, Result, bail};
use seqrisk_core::schema::{Category, Event, FieldValues, Schema, Session};
use std::collections::HashMap;
use std::path::Path;

/// The schema of the sessions [`read`] builds.
pub const SCHEMA_TOML: &str = include_str!("movielens.toml");

/// The schema of the sessions [`read`] builds.
pub fn schema() -> Schema {
    Schema::from_toml(SCHEMA_TOML).expect("embedded MovieLens schema is valid")
}

const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

struct Movie {
    genre: Option<String>,
    year: Option<f64>,
}

struct User {
    gender: String,
    occupation: String,
    zip_region: String,
    age: f64,
}

struct Rating {
    movie: u32,
    rating: u8,
    ts: f64,
}

/// `u.item` is Latin-1 (titles with accents); each byte is its code point.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn read_text(dir: &Path, name: &str) -> Result<String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read {} (MovieLens-100K)", path.display()))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => latin1(e.as_bytes()),
    })
}

fn field<'a>(parts: &[&'a str], i: usize, file: &str, line: usize, what: &str) -> Result<&'a str> {
    parts
        .get(i)
        .copied()
        .with_context(|| format!("{file}:{line}: missing {what}"))
}

fn number<T: std::str::FromStr>(s: &str, file: &str, line: usize, what: &str) -> Result<T> {
    s.trim()
        .parse()
        .ok()
        .with_context(|| format!("{file}:{line}: {what} is not a number: {s:?}"))
}

fn movies(dir: &Path) -> Result<HashMap<u32, Movie>> {
    let mut out = HashMap::new();
    for (i, line) in read_text(dir, "u.item")?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Vec<&str> = line.split('|').collect();
        let n = i + 1;
        let id = number(
            field(&p, 0, "u.item", n, "movie id")?,
            "u.item",
            n,
            "movie id",
        )?;
        if p.len() < 5 + GENRES.len() {
            bail!(
                "u.item:{n}: expected {} fields, found {}",
                5 + GENRES.len(),
                p.len()
            );
        }
        let genre = GENRES
            .iter()
            .zip(&p[5..5 + GENRES.len()])
            .find(|(_, flag)| flag.trim() == "1")
            .map(|(g, _)| g.to_string());
        // release date like 01-Jan-1995
        let year = p[2].rsplit('-').next().and_then(|y| y.trim().parse().ok());
        out.insert(id, Movie { genre, year });
    }
    Ok(out)
}

fn users(dir: &Path) -> Result<HashMap<u32, User>> {
    let mut out = HashMap::new();
    for (i, line) in read_text(dir, "u.user")?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Vec<&str> = line.split('|').collect();
        let n = i + 1;
        let id = number(
            field(&p, 0, "u.user", n, "user id")?,
            "u.user",
            n,
            "user id",
        )?;
        let age = number(field(&p, 1, "u.user", n, "age")?, "u.user", n, "age")?;
        out.insert(
            id,
            User {
                age,
                gender: field(&p, 2, "u.user", n, "gender")?.to_string(),
                occupation: field(&p, 3, "u.user", n, "occupation")?.to_string(),
                zip_region: field(&p, 4, "u.user", n, "zip code")?
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

fn ratings(dir: &Path) -> Result<HashMap<u32, Vec<Rating>>> {
    let mut out: HashMap<u32, Vec<Rating>> = HashMap::new();
    for (i, line) in read_text(dir, "u.data")?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p: Vec<&str> = line.split_whitespace().collect();
        let n = i + 1;
        let user = number(
            field(&p, 0, "u.data", n, "user id")?,
            "u.data",
            n,
            "user id",
        )?;
        let rating: u8 = number(field(&p, 2, "u.data", n, "rating")?, "u.data", n, "rating")?;
        if !(1..=5).contains(&rating) {
            bail!("u.data:{n}: rating must be 1–5, found {rating}");
        }
        out.entry(user).or_default().push(Rating {
            movie: number(
                field(&p, 1, "u.data", n, "movie id")?,
                "u.data",
                n,
                "movie id",
            )?,
            rating,
            ts: number(
                field(&p, 3, "u.data", n, "timestamp")?,
                "u.data",
                n,
                "timestamp",
            )?,
        });
    }
    Ok(out)
}

/// Read the three files in `dir` and build the sessions (see the module documentation),
/// ordered by user and then time.
pub fn read(dir: &Path, targets_per_user: usize) -> Result<Vec<Session>> {
    let schema = schema();
    let (movies, users, mut by_user) = (movies(dir)?, users(dir)?, ratings(dir)?);
    let history = schema.max_events - 1;
    let mut user_ids: Vec<u32> = by_user.keys().copied().collect();
    user_ids.sort_unstable();
    let mut sessions = Vec::new();
    for u in user_ids {
        let user = users
            .get(&u)
            .with_context(|| format!("u.data: user {u} is not in u.user"))?;
        let list = by_user.get_mut(&u).map(std::mem::take).unwrap_or_default();
        let mut list = list;
        list.sort_by(|a, b| a.ts.total_cmp(&b.ts).then(a.movie.cmp(&b.movie)));
        let event = |r: &Rating, with_rating: bool| -> Result<Event> {
            let m = movies
                .get(&r.movie)
                .with_context(|| format!("u.data: movie {} is not in u.item", r.movie))?;
            Ok(Event {
                ts: r.ts,
                values: FieldValues {
                    categorical: Box::new([
                        Some(r.movie.to_string().into()),
                        m.genre.as_deref().map(Category::from),
                    ]),
                    numeric: Box::new([m.year, with_rating.then_some(f64::from(r.rating))]),
                    text: Box::default(),
                },
                planted: false,
            })
        };
        let profile = FieldValues {
            categorical: Box::new([
                Some(user.gender.as_str().into()),
                Some(user.occupation.as_str().into()),
                Some(user.zip_region.as_str().into()),
            ]),
            numeric: Box::new([Some(user.age)]),
            text: Box::default(),
        };
        let first_target = list.len().saturating_sub(targets_per_user).max(1);
        for t in first_target..list.len() {
            let start = t.saturating_sub(history);
            let mut events = list[start..t]
                .iter()
                .map(|r| event(r, true))
                .collect::<Result<Vec<_>>>()?;
            events.push(event(&list[t], false)?);
            sessions.push(Session {
                entity: None,
                id: format!("u{u}-r{t}"),
                label: Some(list[t].rating >= 4),
                profile: profile.clone(),
                events,
            });
        }
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/ml-100k-excerpt")
    }

    /// The committed excerpt (users 1–20): 399 target ratings (a user with exactly 20 ratings
    /// has 19 targets), 242 of them 4 or 5 — counted independently from u.data.
    #[test]
    fn excerpt_sessions_by_hand() {
        let sessions = read(&excerpt(), 20).unwrap();
        assert_eq!(sessions.len(), 399);
        assert_eq!(
            sessions.iter().filter(|s| s.label == Some(true)).count(),
            242
        );
        let schema = schema();
        for s in &sessions {
            assert!(s.events.iter().all(|e| {
                e.values.categorical.len() == schema.event.categorical.len()
                    && e.values.numeric.len() == schema.event.numeric.len()
            }));
            let (current, history) = s.events.split_last().unwrap();
            assert_eq!(
                current.values.numeric[1], None,
                "{}: the target's rating is hidden",
                s.id
            );
            assert!(history.iter().all(|e| e.values.numeric[1].is_some()));
            assert!(s.events.len() <= schema.max_events);
            assert!(s.events.windows(2).all(|w| w[0].ts <= w[1].ts));
        }
        // user 1's last rating: movie 102 rated 2 at 889751736, after 19 earlier ratings
        let last = sessions.iter().find(|s| s.id == "u1-r271").unwrap();
        assert_eq!(last.label, Some(false));
        assert_eq!(last.events.len(), 20);
        let target = last.events.last().unwrap();
        assert_eq!(
            (target.ts, target.values.categorical[0].as_deref()),
            (889751736.0, Some("102"))
        );
        assert_eq!(last.profile.categorical[0].as_deref(), Some("M"));
        assert_eq!(last.profile.numeric[0], Some(24.0));
    }

    #[test]
    fn missing_files_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), 20).err().unwrap().to_string();
        assert!(err.contains("u.item"), "{err}");
        for f in ["u.item", "u.user"] {
            std::fs::copy(excerpt().join(f), dir.path().join(f)).unwrap();
        }
        std::fs::write(dir.path().join("u.data"), "1\t102\t7\t889751736\n").unwrap();
        let err = read(dir.path(), 20).err().unwrap().to_string();
        assert!(err.contains("u.data:1") && err.contains("rating"), "{err}");
    }
}
