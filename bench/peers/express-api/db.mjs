// db.mjs - the peer's PostgreSQL side: a pg pool, the tables it creates itself (the same
// columns as drover's PostgreSQL migration for conversations, messages and assessments)
// and the four statements POST /api/chat/send runs.
import pg from 'pg';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS messages (
  id BIGSERIAL PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
  content TEXT NOT NULL,
  job_id TEXT,
  idempotency_key TEXT UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_messages_conversation_id ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS user_assessments (
  user_id TEXT PRIMARY KEY,
  data JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);`;

export async function openDatabase(url, { poolSize = 10 } = {}) {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  await pool.query(SCHEMA);
  return {
    pool,
    ensureConversation: (id, userId) =>
      pool.query('INSERT INTO conversations (id, user_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, userId]),
    // The newest `limit` messages, oldest first: the history put into the AI context.
    async history(conversationId, limit) {
      const r = await pool.query(
        'SELECT role, content FROM (SELECT id, role, content FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2) AS newest ORDER BY id',
        [conversationId, limit]);
      return r.rows;
    },
    async addMessage(conversationId, role, content) {
      const r = await pool.query('INSERT INTO messages (conversation_id, role, content) VALUES ($1, $2, $3) RETURNING id',
        [conversationId, role, content]);
      return Number(r.rows[0].id);
    },
    async assessment(userId) {
      const r = await pool.query('SELECT data FROM user_assessments WHERE user_id = $1', [userId]);
      return r.rows[0]?.data ?? null;
    },
    async putAssessment(userId, data) {
      await pool.query(
        'INSERT INTO user_assessments (user_id, data) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = now()',
        [userId, JSON.stringify(data)]);
    },
    async messages(conversationId) {
      const r = await pool.query('SELECT id, role, content, job_id, created_at FROM messages WHERE conversation_id = $1 ORDER BY id', [conversationId]);
      return r.rows;
    },
    close: () => pool.end(),
  };
}
