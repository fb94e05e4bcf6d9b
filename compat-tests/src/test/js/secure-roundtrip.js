// KafkaJS (a pure JavaScript client, its own SASL and SCRAM code) over SASL_SSL: produce records,
// then consume them as a group. Prints one tab-separated line per fact; the Java test compares.
// Arguments: bootstrap topic count mechanism user password ca-file
const fs = require('fs');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, countText, mechanism, username, password, caFile] = process.argv.slice(2);
  const count = Number(countText);
  const kafka = new Kafka({
    clientId: 'weir-compat-kafkajs',
    brokers: [bootstrap],
    ssl: { ca: [fs.readFileSync(caFile, 'utf8')] },
    sasl: { mechanism: mechanism.toLowerCase(), username, password },
    logLevel: logLevel.WARN,
    retry: { retries: 5 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < count; i++) messages.push({ key: `k${i}`, value: `v${i}` });
  await producer.send({ topic, messages, acks: -1 });
  await producer.disconnect();
  console.log(`produced\t${count}`);

  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen} of ${count} in 60 s`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value.toString() !== 'v' + message.key.toString().substring(1)) {
          reject(new Error(`unexpected record ${message.key}=${message.value}`));
        }
        if (++seen === count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log(`consumed\t${seen}`);
}

main().then(() => process.exit(0), (e) => { console.error(`failed\t${e.message}`); process.exit(1); });
