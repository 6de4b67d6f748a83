package sqlite

import (
	"context"
	"database/sql"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// maxBlocksQuery is the most CIDs one GetBlocks query asks for; larger
// requests are split.
const maxBlocksQuery = 64

// repoBlocks reads the blocks of one repository.
type repoBlocks struct {
	s   *Store
	did syntax.DID
}

// GetBlocks implements rhizome.BlockReader: one query per 64 CIDs, in one
// read transaction.
func (r repoBlocks) GetBlocks(ctx context.Context, cids []cid.CID) ([][]byte, error) {
	const op = "get blocks"
	out := make([][]byte, len(cids))
	if len(cids) == 0 {
		return out, nil
	}
	if len(cids) <= maxBlocksQuery {
		return out, wrap(op, r.s.getBlocks(ctx, nil, r.did, cids, out))
	}
	err := r.s.readTx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < len(cids); i += maxBlocksQuery {
			j := min(i+maxBlocksQuery, len(cids))
			if err := r.s.getBlocks(ctx, tx, r.did, cids[i:j], out[i:j]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, wrap(op, err)
}

// getBlocks fills out[i] with the block cids[i] of did, if present, in tx
// or else on the pool. The CID list is padded to a power of two so few
// statements are prepared.
func (s *Store) getBlocks(ctx context.Context, tx *sql.Tx, did syntax.DID, cids []cid.CID, out [][]byte) error {
	if s.isClosed() {
		return errClosed
	}
	n := 1
	for n < len(cids) {
		n *= 2
	}
	st, err := s.rs.blocksStmt(ctx, n)
	if err != nil {
		return err
	}
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	args := make([]any, 1, n+1)
	args[0] = string(did)
	for i := range n {
		args = append(args, cids[min(i, len(cids)-1)].Bytes())
	}
	return fillBlocks(ctx, st, args, cids, out)
}

// fillBlocks runs the block query and places each block by its CID.
func fillBlocks(ctx context.Context, st *sql.Stmt, args []any, cids []cid.CID, out [][]byte) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	got := make(map[cid.CID][]byte, len(cids))
	for rows.Next() {
		var c, data []byte
		if err := rows.Scan(&c, &data); err != nil {
			return err
		}
		id, err := readCID(c)
		if err != nil {
			return err
		}
		got[id] = data
	}
	for i, c := range cids {
		out[i] = got[c]
	}
	return rows.Err()
}
