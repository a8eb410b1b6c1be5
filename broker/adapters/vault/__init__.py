"""The clip vault: stream encryption, data keys wrapped by key-encryption keys, blob stores.

Clip bytes are encrypted with a per-clip data key (:mod:`broker.vault.stream`); data keys are
wrapped by a versioned key-encryption key (:mod:`broker.vault.kek`) and kept in a mutable
keystore (:mod:`broker.vault.keystore`), so that shredding one row makes a clip unreadable
forever. Ciphertext lives in a blob store (:mod:`broker.vault.blobs`).
"""
