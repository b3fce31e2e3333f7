// server.mjs - the benchmark's Node peer of `drover api`: the seed's chat API as the seed
// describes it, on the stack the seed uses. Express 5 for HTTP, a BullMQ Queue for the
// `ai-processing` jobs, Socket.IO on the same http server with one room per job (and per
// conversation), fed by BullMQ's QueueEvents, and a pg pool for the messages.
//   PORT=... REDIS_URL=redis://... DATABASE_URL=postgres://... node server.mjs
// Written for bench/run.mjs; it prints "listening <port>" once it accepts requests.
import http from 'node:http';
import express from 'express';
import { Queue, QueueEvents } from 'bullmq';
import { Server } from 'socket.io';
import { openDatabase } from './db.mjs';

const port = Number(process.env.PORT ?? 5001);
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const HISTORY_LIMIT = 20;
const MAX_MESSAGE_CHARS = 32 * 1024;
// The seed's default options of a generate-response job.
const JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 2000 }, timeout: 30000 };

const db = await openDatabase(process.env.DATABASE_URL);
const aiQueue = new Queue('ai-processing', { connection });
const aiEvents = new QueueEvents('ai-processing', { connection });

const app = express();
app.use(express.json({ limit: '1mb' }));
const server = http.createServer(app);
const io = new Server(server, { cors: { origin: '*' } });

class BadRequest extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// conversationId and userId: a non-empty string or an integer, as the seed's clients send.
function idField(body, name) {
  const v = body[name];
  if (typeof v === 'string' && v !== '') return v;
  if (Number.isInteger(v)) return String(v);
  throw new BadRequest(400, v == null ? `'${name}' is required` : `'${name}' must be a non-empty string or an integer`);
}

app.post('/api/chat/send', async (req, res) => {
  if (!req.is('application/json')) throw new BadRequest(415, 'Content-Type must be application/json');
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest(400, 'Request body must be a JSON object');
  const conversationId = idField(body, 'conversationId');
  const userId = idField(body, 'userId');
  const { message } = body;
  if (typeof message !== 'string' || message === '') throw new BadRequest(400, "'message' is required and must be a non-empty string");
  if (message.length > MAX_MESSAGE_CHARS) throw new BadRequest(400, `'message' is longer than ${MAX_MESSAGE_CHARS} characters`);

  // Save the user's message and gather the context the AI job carries.
  await db.ensureConversation(conversationId, userId);
  const history = await db.history(conversationId, HISTORY_LIMIT);
  const messageId = await db.addMessage(conversationId, 'user', message);
  const assessment = await db.assessment(userId);

  const job = await aiQueue.add('generate-response', {
    conversationId, userId, message, messageId, context: { history, assessment },
  }, JOB_OPTIONS);
  res.json({ status: 'processing', jobId: job.id, message: 'Your message was received; the answer is being generated' });
});

app.get('/api/chat/job/:jobId', async (req, res) => {
  const job = await aiQueue.getJob(req.params.jobId);
  if (!job) return res.status(404).json({ error: 'Job not found' });
  const status = await job.getState();
  if (status === 'completed') return res.json({ status, result: job.returnvalue });
  if (status === 'failed') return res.json({ status, error: job.failedReason });
  return res.json({ status, progress: job.progress });
});

app.get('/api/conversations/:id/messages', async (req, res) => {
  res.json({ conversationId: req.params.id, messages: await db.messages(req.params.id) });
});

app.put('/api/users/:userId/assessment', async (req, res) => {
  if (!req.body || typeof req.body !== 'object') throw new BadRequest(400, 'Request body must be a JSON object');
  await db.putAssessment(req.params.userId, req.body);
  res.json({ status: 'saved', userId: req.params.userId });
});

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));

// Express 5 passes rejected promises of async handlers here.
app.use((err, req, res, next) => {
  const status = err.status ?? err.statusCode ?? 500;
  res.status(status).json({ error: status >= 500 ? 'Internal error' : err.message });
});

// Live updates: a client subscribes to a job's room or joins a conversation's.
io.on('connection', (socket) => {
  socket.on('subscribe-job', (jobId) => socket.join(`job:${jobId}`));
  socket.on('join-conversation', (id) => socket.join(`conversation:${id}`));
});
aiEvents.on('progress', ({ jobId, data }) => io.to(`job:${jobId}`).emit('job-progress', { jobId, progress: data }));
aiEvents.on('completed', ({ jobId, returnvalue }) => io.to(`job:${jobId}`).emit('job-completed', { jobId, result: returnvalue }));
aiEvents.on('failed', ({ jobId, failedReason }) => io.to(`job:${jobId}`).emit('job-failed', { jobId, error: failedReason }));

async function shutdown() {
  io.close();
  await Promise.allSettled([aiQueue.close(), aiEvents.close(), db.close()]);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
