//! The built-in text encoder of merchant names and payment descriptions (LBSF §IV-C without a
//! hub download): a text becomes the hashed ids of its words and of the character trigrams of
//! each word, as in fastText's subword model; the model averages their embeddings, trained end
//! to end. Unseen merchants still share trigrams with seen ones ("QuickCash Loans" and
//! "QuickCash Advance"), which is what an id vocabulary cannot give.
//!
//! Text is lower-cased and split into words at every character that is not alphanumeric. Word
//! `w` gives the token `w` and the trigrams of `<w>`; tokens are hashed by 64-bit FNV-1a into
//! `buckets` ids `1..=buckets` (0 is padding), and at most `max_tokens` are kept, words first.

/// FNV-1a, 64 bit: stable across platforms and releases (unlike `std`'s hasher), so native
/// training and wasm scoring give the same ids.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Token ids of `text` (see the module documentation), at most `max_tokens`, each in
/// `1..=buckets`. An empty or missing text gives no ids.
pub fn text_token_ids(text: &str, buckets: usize, max_tokens: usize) -> Vec<i64> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let bucket = |h: u64| (h % buckets as u64) as i64 + 1;
    // words are tagged apart from trigrams, so the word "abc" and the trigram "abc" differ
    let mut ids: Vec<i64> = words
        .iter()
        .map(|w| bucket(fnv1a(&[b"w:", w.as_bytes()])))
        .collect();
    for w in &words {
        let chars: Vec<char> = std::iter::once('<')
            .chain(w.chars())
            .chain(std::iter::once('>'))
            .collect();
        for tri in chars.windows(3) {
            let s: String = tri.iter().collect();
            ids.push(bucket(fnv1a(&[b"g:", s.as_bytes()])));
        }
    }
    ids.truncate(max_tokens);
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_values() {
        // reference values of 64-bit FNV-1a
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"fo", b"obar"]), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn words_then_trigrams_case_and_punctuation_blind() {
        let big = 1 << 20;
        let ids = text_token_ids("Lucky-Star  CASINO", big, 100);
        // 3 words; trigrams of <lucky> (5), <star> (4), <casino> (6)
        assert_eq!(ids.len(), 3 + 5 + 4 + 6);
        assert_eq!(ids, text_token_ids("lucky star casino!", big, 100));
        assert_eq!(ids[0], (fnv1a(&[b"w:lucky"]) % big as u64) as i64 + 1);
        assert_eq!(ids[3], (fnv1a(&[b"g:<lu"]) % big as u64) as i64 + 1);
        assert!(ids.iter().all(|&i| (1..=big as i64).contains(&i)));
        assert_eq!(text_token_ids("lucky star casino", big, 4), ids[..4]);
        assert!(text_token_ids(" -- ", big, 10).is_empty());
        // a single-letter word still has the trigram <a>
        assert_eq!(text_token_ids("a", big, 10).len(), 2);
        // non-ASCII letters are letters
        assert_eq!(text_token_ids("Café", big, 10).len(), 1 + 4);
    }
}
