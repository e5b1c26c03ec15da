// A local stand-in for api.openai.com, for the demo (which has no network): answers
// /v1/chat/completions and says whether the request carried the key it expects (EXPECTED_KEY).
// Prints its port on stdout once it listens.
import {createServer} from 'node:http'

const expected = process.env.EXPECTED_KEY
const server = createServer((req, res) => {
  req.resume()
  const received = req.headers.authorization === `Bearer ${expected}`
  res.writeHead(received ? 200 : 401, {'content-type': 'application/json'})
  res.end(JSON.stringify(received
    ? {choices: [{message: {role: 'assistant', content: 'hello from the stand-in API, which received the real key'}}]}
    : {error: {message: 'the stand-in API did not receive the real key'}}))
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
