//! Flat token files: the ids of a whole corpus as little-endian `uint16` (or `uint32`) numbers, one
//! after the other, as nanoGPT's `prepare.py` writes them (`np.array(ids, dtype=np.uint16).tofile`),
//! with a JSON sidecar `FILE.bin.json` that says what is inside.
//!
//! [`TokenFile`] maps such a file into memory (memmap2): opening costs nothing whatever the file's
//! size, and the operating system pages in only the windows a loader reads, so a corpus far larger
//! than memory can be sampled. [`crate::data::prepare`] writes them.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use crate::text::io_error;

/// How each id is stored: `uint16` while the vocabulary fits (GPT-2's 50,257 ids do), else `uint32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenDtype {
    /// Two bytes per id, little-endian (NumPy's `<u2`).
    Uint16,
    /// Four bytes per id, little-endian (NumPy's `<u4`).
    Uint32,
}

impl TokenDtype {
    /// The narrowest type that holds every id of a vocabulary of `vocab_size` ids.
    pub fn for_vocab(vocab_size: u64) -> Self {
        if vocab_size <= 1 << 16 {
            TokenDtype::Uint16
        } else {
            TokenDtype::Uint32
        }
    }

    /// Bytes per id.
    pub fn size(self) -> usize {
        match self {
            TokenDtype::Uint16 => 2,
            TokenDtype::Uint32 => 4,
        }
    }

    /// NumPy's name for it (`uint16`, `uint32`), as the sidecar writes it.
    pub fn name(self) -> &'static str {
        match self {
            TokenDtype::Uint16 => "uint16",
            TokenDtype::Uint32 => "uint32",
        }
    }

    /// Appends `ids` in this type's little-endian bytes; an id that does not fit is an error.
    pub fn write_ids(self, ids: &[u32], out: &mut Vec<u8>) -> Result<()> {
        match self {
            TokenDtype::Uint16 => {
                out.reserve(ids.len() * 2);
                for &id in ids {
                    let narrow = u16::try_from(id).with_context(|| format!("token id {id} does not fit in uint16"))?;
                    out.extend_from_slice(&narrow.to_le_bytes());
                }
            }
            TokenDtype::Uint32 => {
                out.reserve(ids.len() * 4);
                for &id in ids {
                    out.extend_from_slice(&id.to_le_bytes());
                }
            }
        }
        Ok(())
    }
}

/// One input text of a token file: where it came from and what it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDocument {
    /// The text file, as given.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its token count, the `<|endoftext|>` that follows it included.
    pub tokens: u64,
}

/// `FILE.bin.json`: what a token file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFileInfo {
    /// The tokenizer that made the ids (`gpt2`: tiktoken's `r50k_base`).
    pub tokenizer: String,
    /// How each id is stored.
    pub dtype: TokenDtype,
    /// Number of ids in the file.
    pub tokens: u64,
    /// Number of documents (input texts); each one is followed by `end_of_text`.
    pub documents: u64,
    /// The id written after every document.
    pub end_of_text: u32,
    /// sha256 of the file's bytes, lowercase hex.
    pub sha256: String,
    /// The input texts, in file order.
    pub sources: Vec<SourceDocument>,
}

impl TokenFileInfo {
    /// The sidecar's path: `FILE.bin` → `FILE.bin.json`.
    pub fn sidecar_path(token_file: &Path) -> PathBuf {
        let mut name = token_file.as_os_str().to_owned();
        name.push(".json");
        PathBuf::from(name)
    }

    /// Reads `FILE.bin.json`.
    pub fn read(token_file: &Path) -> Result<Self> {
        let path = Self::sidecar_path(token_file);
        let text = std::fs::read_to_string(&path).map_err(|err| io_error("reading the sidecar", &path, &err))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a token file's sidecar", path.display()))
    }
}

/// A token file mapped into memory: ids are read straight from the page cache.
///
/// The file must not be changed while it is open (a memory map sees other writers; a token
/// file is written once by `prepare`, into a temporary name, and then renamed).
///
/// ```no_run
/// use token_embeddings::data::TokenFile;
/// let tokens = TokenFile::open("corpus.bin")?;
/// println!("{} ids, first {}", tokens.len(), tokens.get(0));
/// # anyhow::Ok(())
/// ```
#[derive(Debug)]
pub struct TokenFile {
    map: Option<Mmap>,
    dtype: TokenDtype,
    len: usize,
    path: PathBuf,
}

impl TokenFile {
    /// Opens a token file. Its dtype comes from the sidecar `FILE.bin.json` when there is one
    /// (its token count must match the file's size), else `uint16` (nanoGPT's files have none).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let sidecar = TokenFileInfo::sidecar_path(path);
        if sidecar.exists() {
            let info = TokenFileInfo::read(path)?;
            let file = Self::open_as(path, info.dtype)?;
            ensure!(
                file.len() as u64 == info.tokens,
                "{} holds {} {} ids but its sidecar {} says {}: the two do not belong together",
                path.display(),
                file.len(),
                info.dtype.name(),
                sidecar.display(),
                info.tokens
            );
            Ok(file)
        } else {
            Self::open_as(path, TokenDtype::Uint16)
        }
    }

    /// Opens a token file whose ids are stored as `dtype` (no sidecar read).
    pub fn open_as(path: impl AsRef<Path>, dtype: TokenDtype) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|err| io_error("opening the token file", path, &err))?;
        let meta = file.metadata().map_err(|err| io_error("reading the size of", path, &err))?;
        if meta.is_dir() {
            return Err(io_error("opening the token file", path, &std::io::ErrorKind::IsADirectory.into()));
        }
        let bytes = meta.len();
        if bytes % dtype.size() as u64 != 0 {
            bail!(
                "{} is {bytes} bytes, not a whole number of {} ids ({} bytes each)",
                path.display(),
                dtype.name(),
                dtype.size()
            );
        }
        // An empty file cannot be mapped; it simply holds no ids.
        let map = if bytes == 0 {
            None
        } else {
            // SAFETY: the map is read-only, and the docs ask that the file is not changed
            // while it is open (what every memory-mapped dataset reader asks).
            Some(unsafe { Mmap::map(&file) }.with_context(|| format!("memory-mapping {}", path.display()))?)
        };
        Ok(Self { map, dtype, len: (bytes / dtype.size() as u64) as usize, path: path.to_owned() })
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a file without ids.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How the ids are stored.
    pub fn dtype(&self) -> TokenDtype {
        self.dtype
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Id number `index`. Panics past `len()`, like a slice.
    pub fn get(&self, index: usize) -> u32 {
        assert!(index < self.len, "token index {index} out of range for a file of {} ids", self.len);
        let bytes = self.bytes();
        match self.dtype {
            TokenDtype::Uint16 => u32::from(u16::from_le_bytes([bytes[2 * index], bytes[2 * index + 1]])),
            TokenDtype::Uint32 => u32::from_le_bytes(bytes[4 * index..4 * index + 4].try_into().expect("4 bytes")),
        }
    }

    /// Appends ids `start..start + count` as int64 (what the loader's tensors hold).
    /// Panics when the range passes the end, like slicing.
    pub fn extend_i64(&self, start: usize, count: usize, out: &mut Vec<i64>) {
        assert!(start + count <= self.len, "tokens {start}..{} out of range for {} ids", start + count, self.len);
        let bytes = self.bytes();
        match self.dtype {
            TokenDtype::Uint16 => out.extend(
                bytes[2 * start..2 * (start + count)]
                    .chunks_exact(2)
                    .map(|pair| i64::from(u16::from_le_bytes([pair[0], pair[1]]))),
            ),
            TokenDtype::Uint32 => out.extend(
                bytes[4 * start..4 * (start + count)]
                    .chunks_exact(4)
                    .map(|quad| i64::from(u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]))),
            ),
        }
    }

    /// Every id as int64 (reads the whole file into memory).
    pub fn to_vec_i64(&self) -> Vec<i64> {
        let mut ids = Vec::with_capacity(self.len);
        self.extend_i64(0, self.len, &mut ids);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("token-file-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn both_dtypes_read_back_little_endian() {
        let ids = [0u32, 1, 255, 256, 50256, 65535];
        for dtype in [TokenDtype::Uint16, TokenDtype::Uint32] {
            let mut bytes = Vec::new();
            dtype.write_ids(&ids, &mut bytes).unwrap();
            assert_eq!(bytes.len(), ids.len() * dtype.size());
            let path = temp(&format!("ids-{}.bin", dtype.name()), &bytes);
            let file = TokenFile::open_as(&path, dtype).unwrap();
            assert_eq!(file.len(), ids.len());
            assert_eq!(file.to_vec_i64(), [0, 1, 255, 256, 50256, 65535]);
            assert_eq!(file.get(4), 50256);
            let mut part = Vec::new();
            file.extend_i64(2, 3, &mut part);
            assert_eq!(part, [255, 256, 50256]);
        }
        // Little-endian on disk: 256 is the bytes 00 01.
        let mut bytes = Vec::new();
        TokenDtype::Uint16.write_ids(&[256], &mut bytes).unwrap();
        assert_eq!(bytes, [0, 1]);
    }

    #[test]
    fn wide_ids_need_uint32() {
        assert_eq!(TokenDtype::for_vocab(50257), TokenDtype::Uint16);
        assert_eq!(TokenDtype::for_vocab(65536), TokenDtype::Uint16);
        assert_eq!(TokenDtype::for_vocab(100_277), TokenDtype::Uint32);
        let err = TokenDtype::Uint16.write_ids(&[70000], &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("70000"), "{err}");
    }

    #[test]
    fn odd_sizes_and_missing_files_are_clear_errors() {
        let path = temp("odd.bin", &[1, 2, 3]);
        let err = TokenFile::open(&path).unwrap_err().to_string();
        assert!(err.contains("3 bytes") && err.contains("uint16"), "{err}");
        let err = TokenFile::open("/nonexistent/tokens.bin").unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/tokens.bin"), "{err:#}");
        let empty = TokenFile::open(temp("empty.bin", &[])).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn a_sidecar_that_disagrees_is_refused() {
        let path = temp("wrong-count.bin", &[1, 0, 2, 0]);
        let info = TokenFileInfo {
            tokenizer: "gpt2".into(),
            dtype: TokenDtype::Uint16,
            tokens: 3,
            documents: 1,
            end_of_text: 50256,
            sha256: String::new(),
            sources: vec![],
        };
        std::fs::write(TokenFileInfo::sidecar_path(&path), serde_json::to_string(&info).unwrap()).unwrap();
        let err = TokenFile::open(&path).unwrap_err().to_string();
        assert!(err.contains("sidecar") && err.contains("says 3"), "{err}");
    }
}
