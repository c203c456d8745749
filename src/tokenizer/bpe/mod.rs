//! The book's byte-pair encoding from scratch (bonus material of chapter 2,
//! `05_bpe-from-scratch`, class `BPETokenizerSimple`), equal to the book's code for every input.
//!
//! - [`BpeTokenizer::train`] learns merges on a text up to a vocabulary size: the vocabulary
//!   starts with the 256 first characters, the text's other characters in sorted order, `Ġ` and
//!   the allowed special tokens; each merge takes the most frequent adjacent pair, and among
//!   equally frequent pairs **the one first met in a left-to-right scan of the text** (Python's
//!   `max` over a `Counter`). Training that runs out of pairs stops early. The merges are the
//!   book's, in the book's order, thousands of times faster ([`trainer`]; [`literal`] is the
//!   literal port it is tested against).
//! - [`BpeTokenizer::encode`] / [`BpeTokenizer::decode`] with the book's pre-tokenizer
//!   ([`pretokenize`]), special tokens and errors.
//! - [`BpeTokenizer::save`] / [`BpeTokenizer::load`]: the book's `vocab.json` (`{"id": "token"}`)
//!   and `bpe_merges.txt` (a JSON list of `{"pair": [a, b], "new_id": n}`), byte for byte as the
//!   book's Python writes them.
//! - [`BpeTokenizer::from_openai`]: GPT-2's `encoder.json` and `vocab.bpe`, merged by rank as the
//!   book does.
//!
//! The book's tokenizer works on characters, not bytes (see [`pretokenize`] for the tabs it drops):
//! in OpenAI mode a character outside GPT-2's 256 byte stand-ins is an error, and `é` is looked up
//! as GPT-2's stand-in character for the byte 0xE9, not as its UTF-8 bytes. The book's `decode`
//! maps id 198 to `"\n"` and id 201 to `"\r"` in every vocabulary (GPT-2's newline and carriage
//! return), so in a trained vocabulary `Æ` (id 198) and `É` (id 201) decode to line breaks. Both
//! are kept, as the book has them.

pub mod literal;
pub mod pretokenize;
pub mod pydict;
pub mod trainer;

use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

pub use pretokenize::{for_each_piece, is_python_space, pretokenize, Piece, SPACE_MARKER};
use pydict::PyDict;

use crate::pyrepr::python_str_list;

/// A token id, as the book's Python ints (all ids here fit in 32 bits).
pub type TokenId = u32;

/// The two files of the book's format, in a directory.
pub const VOCAB_FILE: &str = "vocab.json";
pub const MERGES_FILE: &str = "bpe_merges.txt";
/// OpenAI's GPT-2 files, in a directory.
pub const OPENAI_VOCAB_FILE: &str = "encoder.json";
pub const OPENAI_MERGES_FILE: &str = "vocab.bpe";

/// GPT-2's merge ranks, on interned symbol strings (the book merges strings; this is the same
/// merge, on numbers).
#[derive(Clone, Debug, Default)]
struct Ranks {
    /// (left symbol, right symbol) -> (rank, merged symbol).
    ranks: HashMap<(u32, u32), (u32, u32)>,
    /// Symbol -> its id in `inverse_vocab`, if any.
    symbol_id: Vec<Option<TokenId>>,
    /// Symbol strings (for error messages).
    symbol_text: Vec<String>,
    /// Vocabulary id -> the symbol of its token string.
    id_symbol: HashMap<TokenId, u32>,
}

/// The book's `BPETokenizerSimple`.
///
/// ```
/// use token_embeddings::tokenizer::bpe::BpeTokenizer;
/// let tokenizer = BpeTokenizer::train("the cat in the hat", 260, &["<|endoftext|>"]);
/// assert_eq!(tokenizer.merge_strings()[0], ("t".to_string(), "h".to_string()));
/// let ids = tokenizer.encode("the hat", None)?;
/// assert_eq!(tokenizer.decode(&ids)?, "the hat");
/// # anyhow::Ok(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct BpeTokenizer {
    /// id -> token string (the book's `vocab`), in the book's dict order.
    vocab: PyDict<TokenId, String>,
    /// token string -> id (the book's `inverse_vocab`): when two ids spell one string, the one
    /// assigned last.
    inverse_vocab: PyDict<String, TokenId>,
    /// The book's `bpe_merges`, in order: (left id, right id) -> new id.
    merges: Vec<((TokenId, TokenId), TokenId)>,
    merge_map: HashMap<(TokenId, TokenId), TokenId>,
    /// OpenAI mode (GPT-2's ranks), when loaded from `encoder.json`/`vocab.bpe` with ranks.
    ranks: Option<Ranks>,
    /// Strings of `inverse_vocab` that look like special tokens (`<|...|>`), in its order.
    specials: Vec<String>,
}

impl BpeTokenizer {
    /// Trains on `text` (the book's `train(text, vocab_size, allowed_special)`).
    ///
    /// The special tokens join the vocabulary in the order given, after the characters (the book
    /// takes a Python `set`, whose order is undefined for more than one token). Special-token
    /// text inside `text` is trained on like any other text, as in the book. When the vocabulary
    /// of characters and specials is already at least `vocab_size`, nothing is merged.
    pub fn train(text: &str, vocab_size: usize, allowed_special: &[&str]) -> BpeTokenizer {
        let (mut tokenizer, char_ids, space_id) = Self::initial_vocab(text, allowed_special);
        let first = tokenizer.vocab.len() as TokenId;
        let char_id = |c: char| char_ids(&tokenizer, c);
        let words = trainer::Words::from_text(text, char_id, space_id);
        let merges = trainer::train_words(words, first, vocab_size);
        tokenizer.add_merges(&merges, first);
        tokenizer
    }

    /// Trains with the literal port of the book's loop ([`literal`]): slow (it recounts every
    /// pair for every merge), the oracle [`BpeTokenizer::train`] is tested against.
    pub fn train_literal(text: &str, vocab_size: usize, allowed_special: &[&str]) -> BpeTokenizer {
        let (mut tokenizer, char_ids, _) = Self::initial_vocab(text, allowed_special);
        let first = tokenizer.vocab.len() as TokenId;
        let sequences: Vec<Vec<u32>> =
            pretokenize(text).iter().map(|piece| piece.chars().map(|c| char_ids(&tokenizer, c)).collect()).collect();
        let merges = literal::train_literal(sequences, first, vocab_size);
        tokenizer.add_merges(&merges, first);
        tokenizer
    }

    /// The vocabulary before merges: the 256 first characters, the text's others sorted, `Ġ`, then
    /// the specials not already in it.
    #[allow(clippy::type_complexity)]
    fn initial_vocab(
        text: &str,
        allowed_special: &[&str],
    ) -> (BpeTokenizer, fn(&BpeTokenizer, char) -> TokenId, TokenId) {
        let mut seen = std::collections::BTreeSet::new();
        for_each_piece(text, |piece| match piece {
            Piece::Word { space, text } => {
                if space {
                    seen.insert(SPACE_MARKER);
                }
                seen.extend(text.chars());
            }
            Piece::Space => {
                seen.insert(SPACE_MARKER);
            }
            Piece::LineFeed => {
                seen.insert('\n');
            }
            Piece::CarriageReturn => {
                seen.insert('\r');
            }
        });
        let mut chars: Vec<char> = (0..256u32).map(|i| char::from_u32(i).expect("below 256")).collect();
        chars.extend(seen.into_iter().filter(|&c| c as u32 >= 256));
        if !chars.contains(&SPACE_MARKER) {
            chars.push(SPACE_MARKER);
        }
        let mut tokenizer = BpeTokenizer::default();
        for (i, c) in chars.iter().enumerate() {
            tokenizer.vocab.insert(i as TokenId, c.to_string());
            tokenizer.inverse_vocab.insert(c.to_string(), i as TokenId);
        }
        for &token in allowed_special {
            if !tokenizer.inverse_vocab.contains_key(token) {
                let id = tokenizer.vocab.len() as TokenId;
                tokenizer.vocab.insert(id, token.to_owned());
                tokenizer.inverse_vocab.insert(token.to_owned(), id);
            }
        }
        let space_id = tokenizer.inverse_vocab.get(&SPACE_MARKER.to_string()).copied().expect("Ġ is in");
        fn char_id(tokenizer: &BpeTokenizer, c: char) -> TokenId {
            let mut buf = [0u8; 4];
            *tokenizer.inverse_vocab.get(c.encode_utf8(&mut buf) as &str).expect("every character of the text")
        }
        (tokenizer, char_id, space_id)
    }

    fn add_merges(&mut self, merges: &[(TokenId, TokenId)], first: TokenId) {
        for (k, &pair) in merges.iter().enumerate() {
            let new_id = first + k as TokenId;
            self.merges.push((pair, new_id));
            self.merge_map.insert(pair, new_id);
        }
        for &((p0, p1), new_id) in &self.merges {
            let merged =
                format!("{}{}", self.vocab.get(&p0).expect("known id"), self.vocab.get(&p1).expect("known id"));
            self.vocab.insert(new_id, merged.clone());
            self.inverse_vocab.insert(merged, new_id);
        }
        self.find_specials();
    }

    fn find_specials(&mut self) {
        self.specials = self
            .inverse_vocab
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("<|") && k.ends_with("|>"))
            .cloned()
            .collect();
    }

    /// Number of entries in the vocabulary (the book's `len(tokenizer.vocab)`).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The token string of an id (the book's `vocab[id]`).
    pub fn token(&self, id: TokenId) -> Option<&str> {
        self.vocab.get(&id).map(String::as_str)
    }

    /// The id of a token string (the book's `inverse_vocab[token]`).
    pub fn id(&self, token: &str) -> Option<TokenId> {
        self.inverse_vocab.get(token).copied()
    }

    /// The vocabulary, id -> token, in the book's dict order.
    pub fn vocab(&self) -> impl Iterator<Item = (TokenId, &str)> {
        self.vocab.iter().map(|(&id, s)| (id, s.as_str()))
    }

    /// The learned merges in order: ((left id, right id), new id) (the book's `bpe_merges`).
    pub fn merges(&self) -> &[((TokenId, TokenId), TokenId)] {
        &self.merges
    }

    /// The learned merges as strings: (left token, right token).
    pub fn merge_strings(&self) -> Vec<(String, String)> {
        self.merges
            .iter()
            .map(|&((a, b), _)| (self.token(a).unwrap_or("").to_owned(), self.token(b).unwrap_or("").to_owned()))
            .collect()
    }

    /// True when loaded from OpenAI's files (merging by GPT-2's ranks).
    pub fn is_openai(&self) -> bool {
        self.ranks.is_some()
    }

    /// Encodes `text` as the book's `encode(text, allowed_special)` does.
    ///
    /// `allowed_special: None` (the book's default) allows no special token. A special token of
    /// the vocabulary (a string `<|...|>`) in the text that is not allowed is an error
    /// (`Disallowed special tokens encountered in text: [...]`), as is a character that is not in
    /// the vocabulary (`Characters not found in vocab: [...]`).
    pub fn encode(&self, text: &str, allowed_special: Option<&[&str]>) -> Result<Vec<TokenId>> {
        let mut ids = Vec::new();
        self.encode_into(text, allowed_special, &mut ids)?;
        Ok(ids)
    }

    fn encode_into(&self, text: &str, allowed_special: Option<&[&str]>, ids: &mut Vec<TokenId>) -> Result<()> {
        let allowed = allowed_special.unwrap_or(&[]);
        let disallowed: Vec<&String> =
            self.specials.iter().filter(|s| text.contains(s.as_str()) && !allowed.contains(&s.as_str())).collect();
        if !disallowed.is_empty() {
            bail!("Disallowed special tokens encountered in text: {}", python_str_list(&disallowed));
        }
        let mut rest = text;
        if !allowed.is_empty() {
            let mut sorted: Vec<&str> = allowed.to_vec();
            sorted.sort_by_key(|s| Reverse(s.chars().count()));
            let pattern = sorted.iter().map(|s| regex::escape(s)).collect::<Vec<_>>().join("|");
            let special = regex::Regex::new(&pattern).context("special-token pattern")?;
            let mut last = 0;
            for m in special.find_iter(text) {
                self.encode_into(&text[last..m.start()], None, ids)?;
                match self.inverse_vocab.get(m.as_str()) {
                    Some(&id) => ids.push(id),
                    None => bail!("Special token {} not found in vocabulary.", m.as_str()),
                }
                last = m.end();
            }
            rest = &text[last..];
        }
        let mut buf = String::new();
        let mut error = None;
        for_each_piece(rest, |piece| {
            if error.is_some() {
                return;
            }
            piece.write_book_string(&mut buf);
            match self.inverse_vocab.get(buf.as_str()) {
                Some(&id) => ids.push(id),
                None => {
                    if let Err(e) = self.tokenize_with_bpe(&buf, ids) {
                        error = Some(e);
                    }
                }
            }
        });
        error.map_or(Ok(()), Err)
    }

    /// The book's `tokenize_with_bpe`: one piece that is not a token of its own.
    fn tokenize_with_bpe(&self, piece: &str, out: &mut Vec<TokenId>) -> Result<()> {
        let mut ids = Vec::with_capacity(piece.len());
        let mut missing = Vec::new();
        let mut buf = [0u8; 4];
        for c in piece.chars() {
            match self.inverse_vocab.get(c.encode_utf8(&mut buf) as &str) {
                Some(&id) => ids.push(id),
                None => missing.push(c.to_string()),
            }
        }
        if !missing.is_empty() {
            bail!("Characters not found in vocab: {}", python_str_list(&missing));
        }
        match &self.ranks {
            Some(ranks) if !ranks.ranks.is_empty() => self.merge_by_rank(ranks, &ids, out),
            _ => {
                self.merge_greedily(&mut ids);
                out.extend_from_slice(&ids);
                Ok(())
            }
        }
    }

    /// The book's own merging: sweep left to right merging every known pair, until nothing merges.
    fn merge_greedily(&self, ids: &mut Vec<TokenId>) {
        let mut can_merge = true;
        while can_merge && ids.len() > 1 {
            can_merge = false;
            let mut merged = Vec::with_capacity(ids.len());
            let mut i = 0;
            while i + 1 < ids.len() {
                match self.merge_map.get(&(ids[i], ids[i + 1])) {
                    Some(&new_id) => {
                        merged.push(new_id);
                        i += 2;
                        can_merge = true;
                    }
                    None => {
                        merged.push(ids[i]);
                        i += 1;
                    }
                }
            }
            if i < ids.len() {
                merged.push(ids[i]);
            }
            *ids = merged;
        }
    }

    /// GPT-2's merging as the book does it: repeatedly merge every occurrence of the adjacent pair
    /// with the lowest rank.
    fn merge_by_rank(&self, ranks: &Ranks, ids: &[TokenId], out: &mut Vec<TokenId>) -> Result<()> {
        let mut symbols: Vec<u32> = ids.iter().map(|id| ranks.id_symbol[id]).collect();
        while symbols.len() > 1 {
            let mut best: Option<(u32, (u32, u32), u32)> = None;
            for w in symbols.windows(2) {
                if let Some(&(rank, merged)) = ranks.ranks.get(&(w[0], w[1])) {
                    if best.is_none_or(|(r, _, _)| rank < r) {
                        best = Some((rank, (w[0], w[1]), merged));
                    }
                }
            }
            let Some((_, (first, second), merged)) = best else { break };
            let mut next = Vec::with_capacity(symbols.len());
            let mut i = 0;
            while i < symbols.len() {
                if i + 1 < symbols.len() && symbols[i] == first && symbols[i + 1] == second {
                    next.push(merged);
                    i += 2;
                } else {
                    next.push(symbols[i]);
                    i += 1;
                }
            }
            symbols = next;
        }
        for s in symbols {
            match ranks.symbol_id[s as usize] {
                Some(id) => out.push(id),
                None => bail!("KeyError: merged symbol {:?} is not in the vocabulary", ranks.symbol_text[s as usize]),
            }
        }
        Ok(())
    }

    /// Decodes ids as the book's `decode`: id 198 (or the token `"\n"`) is a line feed, id 201 (or
    /// `"\r"`) a carriage return, a leading `Ġ` a space. An unknown id is an error
    /// (`Token ID 5000 not found in vocab.`).
    pub fn decode(&self, ids: &[TokenId]) -> Result<String> {
        let mut out = String::new();
        for &id in ids {
            let Some(token) = self.vocab.get(&id) else { bail!("Token ID {id} not found in vocab.") };
            if id == 198 || token == "\n" {
                out.push('\n');
            } else if id == 201 || token == "\r" {
                out.push('\r');
            } else if let Some(rest) = token.strip_prefix(SPACE_MARKER) {
                out.push(' ');
                out.push_str(rest);
            } else {
                out.push_str(token);
            }
        }
        Ok(out)
    }

    /// Decodes ids given as any integers (a negative one is an unknown id, as in the book).
    pub fn decode_i64(&self, ids: &[i64]) -> Result<String> {
        let ids = ids
            .iter()
            .map(|&id| match TokenId::try_from(id) {
                Ok(id) => Ok(id),
                Err(_) => bail!("Token ID {id} not found in vocab."),
            })
            .collect::<Result<Vec<_>>>()?;
        self.decode(&ids)
    }

    /// The text of `vocab.json` as the book's `json.dump(vocab, ensure_ascii=False, indent=2)`
    /// writes it.
    pub fn vocab_json(&self) -> String {
        let entries: Vec<String> = self
            .vocab
            .iter()
            .map(|(id, token)| format!("  \"{id}\": {}", serde_json::to_string(token).expect("a string")))
            .collect();
        if entries.is_empty() {
            "{}".to_owned()
        } else {
            format!("{{\n{}\n}}", entries.join(",\n"))
        }
    }

    /// The text of `bpe_merges.txt` as the book writes it (a JSON list, `indent=2`).
    pub fn merges_json(&self) -> String {
        let entries: Vec<String> = self
            .merges
            .iter()
            .map(|&((a, b), n)| {
                format!("  {{\n    \"pair\": [\n      {a},\n      {b}\n    ],\n    \"new_id\": {n}\n  }}")
            })
            .collect();
        if entries.is_empty() {
            "[]".to_owned()
        } else {
            format!("[\n{}\n]", entries.join(",\n"))
        }
    }

    /// Writes `vocab_path` and `merges_path` in the book's formats (`save_vocab_and_merges`).
    pub fn save_files(&self, vocab_path: &Path, merges_path: &Path) -> Result<()> {
        let write = |path: &Path, text: String| {
            std::fs::write(path, text).map_err(|err| crate::text::io_error("writing", path, &err))
        };
        write(vocab_path, self.vocab_json())?;
        write(merges_path, self.merges_json())
    }

    /// Writes `DIR/vocab.json` and `DIR/bpe_merges.txt`, creating `DIR` if needed.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|err| crate::text::io_error("creating the folder", dir, &err))?;
        self.save_files(&dir.join(VOCAB_FILE), &dir.join(MERGES_FILE))
    }

    /// Reads the book's two files (`load_vocab_and_merges`), written by the book's Python or by
    /// [`BpeTokenizer::save_files`].
    pub fn load_files(vocab_path: &Path, merges_path: &Path) -> Result<BpeTokenizer> {
        let vocab_text = read(vocab_path)?;
        let entries: Vec<(String, String)> = ordered_object(&vocab_text)
            .with_context(|| format!("reading {} (a JSON object {{\"id\": \"token\"}})", vocab_path.display()))?;
        let mut tokenizer = BpeTokenizer::default();
        for (key, token) in entries {
            let id =
                python_int(&key).with_context(|| format!("{}: key {key:?} is not a token id", vocab_path.display()))?;
            tokenizer.vocab.insert(id, token.clone());
            tokenizer.inverse_vocab.insert(token, id);
        }
        #[derive(Deserialize)]
        struct Merge {
            pair: (TokenId, TokenId),
            new_id: TokenId,
        }
        let merges: Vec<Merge> = serde_json::from_str(&read(merges_path)?).with_context(|| {
            format!("reading {} (a JSON list of {{\"pair\": [a, b], \"new_id\": n}})", merges_path.display())
        })?;
        for Merge { pair, new_id } in merges {
            if tokenizer.merge_map.insert(pair, new_id).is_some() {
                let at = tokenizer.merges.iter().position(|(p, _)| *p == pair).expect("present");
                tokenizer.merges[at].1 = new_id;
            } else {
                tokenizer.merges.push((pair, new_id));
            }
        }
        tokenizer.find_specials();
        Ok(tokenizer)
    }

    /// Loads OpenAI's GPT-2 files (`load_vocab_and_merges_from_openai`): `encoder.json`
    /// (`{"token": id}`) and `vocab.bpe` (one merge per line, lowest rank first). Requires `Ċ` at
    /// 198 and `<|endoftext|>` at 50256, as the book does; `"\n"` and `"\r"` become aliases of 198
    /// and 201.
    pub fn from_openai_files(encoder_path: &Path, vocab_bpe_path: &Path) -> Result<BpeTokenizer> {
        let text = read(encoder_path)?;
        let entries: Vec<(String, i64)> = ordered_object(&text)
            .with_context(|| format!("reading {} (a JSON object {{\"token\": id}})", encoder_path.display()))?;
        let mut tokenizer = BpeTokenizer::default();
        for (token, id) in &entries {
            let id = TokenId::try_from(*id)
                .with_context(|| format!("{}: id {id} is not a token id", encoder_path.display()))?;
            tokenizer.vocab.insert(id, token.clone());
        }
        for (token, id) in entries {
            tokenizer.inverse_vocab.insert(token, id as TokenId);
        }
        if tokenizer.id("Ċ") != Some(198) {
            bail!("{}: vocabulary missing GPT-2 newline glyph 'Ċ' at id 198", encoder_path.display());
        }
        if tokenizer.id("<|endoftext|>") != Some(50256) {
            bail!("{}: vocabulary missing <|endoftext|> at id 50256", encoder_path.display());
        }
        if !tokenizer.inverse_vocab.contains_key("\n") {
            tokenizer.inverse_vocab.insert("\n".to_owned(), 198);
        }
        if !tokenizer.inverse_vocab.contains_key("\r") {
            if tokenizer.vocab.contains_key(&201) {
                tokenizer.inverse_vocab.insert("\r".to_owned(), 201);
            } else {
                bail!("{}: vocabulary missing carriage return token at id 201", encoder_path.display());
            }
        }
        tokenizer.find_specials();

        // Symbols: every token string, then every merged string.
        let mut symbols: HashMap<String, u32> = HashMap::new();
        let mut ranks = Ranks::default();
        let mut intern = |s: &str, ranks: &mut Ranks, tokenizer: &BpeTokenizer| -> u32 {
            if let Some(&sym) = symbols.get(s) {
                return sym;
            }
            let sym = ranks.symbol_text.len() as u32;
            symbols.insert(s.to_owned(), sym);
            ranks.symbol_text.push(s.to_owned());
            ranks.symbol_id.push(tokenizer.id(s));
            sym
        };
        for (&id, token) in tokenizer.vocab.iter() {
            let sym = intern(token, &mut ranks, &tokenizer);
            ranks.id_symbol.insert(id, sym);
        }
        let merges_text = read(vocab_bpe_path)?;
        // Python's readlines (universal newlines), then the first line if it is a comment.
        let mut lines: Vec<&str> = split_lines(&merges_text);
        if lines.first().is_some_and(|l| l.starts_with('#')) {
            lines.remove(0);
        }
        let mut rank = 0u32;
        for (n, line) in lines.iter().enumerate() {
            let parts: Vec<&str> = line.split(is_python_space).filter(|s| !s.is_empty()).collect();
            if parts.is_empty() {
                bail!("{}: line {} is empty (the book's loader stops there too)", vocab_bpe_path.display(), n + 1);
            }
            if parts.len() != 2 {
                continue;
            }
            if tokenizer.inverse_vocab.contains_key(parts[0]) && tokenizer.inverse_vocab.contains_key(parts[1]) {
                let a = intern(parts[0], &mut ranks, &tokenizer);
                let b = intern(parts[1], &mut ranks, &tokenizer);
                let merged = intern(&format!("{}{}", parts[0], parts[1]), &mut ranks, &tokenizer);
                ranks.ranks.insert((a, b), (rank, merged));
                rank += 1;
            }
        }
        tokenizer.ranks = Some(ranks);
        Ok(tokenizer)
    }

    /// Loads a directory: the book's `vocab.json` + `bpe_merges.txt`, or OpenAI's `encoder.json`
    /// + `vocab.bpe`.
    pub fn load(dir: &Path) -> Result<BpeTokenizer> {
        let (vocab, merges) = (dir.join(VOCAB_FILE), dir.join(MERGES_FILE));
        let (encoder, bpe) = (dir.join(OPENAI_VOCAB_FILE), dir.join(OPENAI_MERGES_FILE));
        if vocab.is_file() && merges.is_file() {
            Self::load_files(&vocab, &merges)
        } else if encoder.is_file() && bpe.is_file() {
            Self::from_openai_files(&encoder, &bpe)
        } else {
            bail!(
                "{} holds neither the book's {VOCAB_FILE} + {MERGES_FILE} nor OpenAI's {OPENAI_VOCAB_FILE} + {OPENAI_MERGES_FILE}",
                dir.display()
            )
        }
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Python's `file.readlines()` in text mode: `\n`, `\r\n` and `\r` end a line (the line keeps no
/// terminator here, since the book strips each line).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Python's `int(key)` for a vocabulary key: optional sign and surrounding white space.
fn python_int(key: &str) -> Result<TokenId> {
    let digits = key.trim_matches(is_python_space).replace('_', "");
    Ok(digits.strip_prefix('+').unwrap_or(&digits).parse::<TokenId>()?)
}

/// The entries of a JSON object in file order (a later duplicate key updates the earlier one's
/// value in place, as Python's `json.load` into a `dict`).
fn ordered_object<V: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<(String, V)>> {
    struct Entries<V>(Vec<(String, V)>);
    impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
            struct V2<V>(std::marker::PhantomData<V>);
            impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
                type Value = Entries<V>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
                    let mut entries: Vec<(String, V)> = Vec::new();
                    let mut index: HashMap<String, usize> = HashMap::new();
                    while let Some((k, v)) = map.next_entry::<String, V>()? {
                        match index.get(&k) {
                            Some(&i) => entries[i].1 = v,
                            None => {
                                index.insert(k.clone(), entries.len());
                                entries.push((k, v));
                            }
                        }
                    }
                    Ok(Entries(entries))
                }
            }
            deserializer.deserialize_map(V2(std::marker::PhantomData))
        }
    }
    let Entries(entries) = serde_json::from_str::<Entries<V>>(text)?;
    Ok(entries)
}
