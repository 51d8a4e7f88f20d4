// CloudFront Functions in front of a bucket, for tests/integration/deltas.rs: the viewer
// request and viewer response functions `kiln edge` writes, run in node:vm on events shaped as
// CloudFront delivers them (lower-case header names, each `{ value }`), around a real GET of the
// rewritten URI from the bucket's website endpoint. Prints one JSON document.
//
//   node cloudfront.mjs REQUEST.js RESPONSE.js HOST PORT CASES.json
//       CASES: [{ "uri": "/assets/x.js", "headers": { "Accept-Encoding": "br" } }, ...].
//       For each: the URI the request function chose, and the status, headers (as the viewer
//       gets them) and body (base64) after the response function.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import vm from 'node:vm';

const [requestFile, responseFile, host, port, casesFile] = process.argv.slice(2);
const load = (file) => vm.runInNewContext(`${readFileSync(file, 'utf8')}\n;handler`, {});
const onRequest = load(requestFile);
const onResponse = load(responseFile);
const context = (eventType) => ({
  distributionDomainName: 'd111111abcdef8.cloudfront.net',
  distributionId: 'EDFDVBD6EXAMPLE',
  eventType,
  requestId: 'kiln-test',
});
const viewer = { ip: '198.51.100.11' };

function get(uri) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: uri, headers: { host } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const out = [];
for (const c of JSON.parse(readFileSync(casesFile, 'utf8'))) {
  const headers = {};
  for (const [name, value] of Object.entries(c.headers)) headers[name.toLowerCase()] = { value };
  const request = onRequest({
    version: '1.0', context: context('viewer-request'), viewer,
    request: { method: 'GET', uri: c.uri, querystring: {}, headers, cookies: {} },
  });
  const origin = await get(request.uri);
  const responseHeaders = {};
  for (const [name, value] of Object.entries(origin.headers)) responseHeaders[name] = { value: String(value) };
  const response = onResponse({
    version: '1.0', context: context('viewer-response'), viewer, request,
    response: { statusCode: origin.status, statusDescription: '', headers: responseHeaders, cookies: {} },
  });
  const final = {};
  for (const [name, h] of Object.entries(response.headers)) final[name] = h.value;
  out.push({ uri: request.uri, status: response.statusCode, headers: final, body: origin.body.toString('base64') });
}
console.log(JSON.stringify(out, null, 1));
