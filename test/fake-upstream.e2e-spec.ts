import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { readFixture } from './fake-upstream/fixtures';

describe('The fake Aareguru API', () => {
  let fake: FakeAareguru;

  beforeAll(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });

  afterEach(() => fake.reset());
  afterAll(() => fake.stop());

  it("answers Bern's data for an unknown, empty or mis-cased city, as upstream does", async () => {
    for (const city of ['zurich', '', 'Thun']) {
      const response = await request(fake.baseUrl).get(`/v2018/today?city=${city}`).expect(200);
      expect(response.body.name).toBe('Bärn');
    }
    const thun = await request(fake.baseUrl).get('/v2018/current?city=thun').expect(200);
    expect(thun.body.aare.location).toBe('Thun');
  });

  it('serves /current and /today for every listed city', async () => {
    const cities = (await request(fake.baseUrl).get('/v2018/cities').expect(200)).body as {
      city: string;
      name: string;
    }[];
    expect(cities).toHaveLength(8);
    for (const { city, name } of cities) {
      const current = await request(fake.baseUrl).get(`/v2018/current?city=${city}`).expect(200);
      expect(current.body.aare.location).toBe(name);
      const today = await request(fake.baseUrl).get(`/v2018/today?city=${city}`).expect(200);
      expect(today.body.name).toBe(name);
    }
  });

  it('serves one state per city: every endpoint agrees on temperature, flow, times and texts', async () => {
    const get = async (path: string) => (await request(fake.baseUrl).get(path).expect(200)).body;
    const cities = (await get('/v2018/cities')) as Record<string, unknown>[];
    const widget = (await get('/v2018/widget')) as {
      values: Record<string, Record<string, unknown>>;
    };
    for (const listed of cities) {
      const city = listed.city as string;
      const { aare, aarepast, weather, sun } = await get(`/v2018/current?city=${city}`);
      const today = await get(`/v2018/today?city=${city}`);
      const shown = widget.values[city];
      const agreed = {
        temperature: aare.temperature,
        temperaturePrec: aare.temperature_prec,
        time: aare.timestamp,
        text: aare.temperature_text,
        textShort: aare.temperature_text_short,
      };
      expect({
        city,
        temperature: listed.aare,
        temperaturePrec: listed.aare_prec,
        time: listed.time,
      }).toEqual({
        city,
        temperature: agreed.temperature,
        temperaturePrec: agreed.temperaturePrec,
        time: agreed.time,
      });
      expect({ city, ...agreed }).toEqual({
        city,
        temperature: today.aare,
        temperaturePrec: today.aare_prec,
        time: today.time,
        text: today.text,
        textShort: today.text_short,
      });
      expect({
        city,
        temperature: shown.temperature,
        time: shown.timestamp,
        timestring: shown.timestring,
        text: shown.temperature_text,
        textShort: shown.temperature_text_short,
        flow: shown.flow,
        flowText: shown.flow_text,
        forecast2h: shown.forecast2h,
        airTemperature: shown.tt,
        sunshine: shown.suntotal,
      }).toEqual({
        city,
        temperature: agreed.temperature,
        time: agreed.time,
        timestring: aare.timestring,
        text: agreed.text,
        textShort: agreed.textShort,
        flow: aare.flow,
        flowText: aare.flow_text,
        forecast2h: aare.forecast2h,
        airTemperature: weather.current.tt,
        sunshine: sun.today.suntotal,
      });
      // The past series ends where the present begins, for the assembled cities too.
      const last = aarepast.at(-1);
      expect(last.timestamp).toBe(aare.timestamp);
      if (typeof aare.temperature === 'number') {
        expect(Math.abs(last.temperature - aare.temperature)).toBeLessThan(0.1);
      }
    }
  });

  it('serves the recorded /today samples unchanged: they agree with /current already', async () => {
    for (const city of ['bern', 'interlaken']) {
      const served = await request(fake.baseUrl).get(`/v2018/today?city=${city}`).expect(200);
      expect(served.body).toEqual(readFixture(`today-${city}.json`));
    }
  });

  it('encodes like PHP: escaped non-ASCII and slashes, integers for whole numbers', async () => {
    const response = await request(fake.baseUrl)
      .get('/v2018/cities')
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => done(null, text));
      });
    const text = response.body as string;
    expect(text).toContain('"name":"B\\u00e4rn"');
    expect(text).toContain(
      '"url":"https:\\/\\/aareguru.existenz.ch\\/v2018\\/current?city=brienz"',
    );
    expect(text).toMatch(/"tn":10,/);
  });

  it('answers 400 on /history for an unknown or mis-cased city and for non-numeric times', async () => {
    await request(fake.baseUrl).get('/v2018/history?city=Bern&start=1&end=2').expect(400);
    await request(fake.baseUrl).get('/v2018/history?city=basel&start=1&end=2').expect(400);
    await request(fake.baseUrl).get('/v2018/history?city=bern&start=-1%20day&end=now').expect(400);
    const ok = await request(fake.baseUrl)
      .get('/v2018/history?city=bern&start=1700000000&end=1700086400')
      .expect(200);
    expect(ok.body.data.temperature.at(-1)[0]).toBeLessThanOrEqual(1700086400);
  });

  it('answers values= as plain text, one line per path', async () => {
    const response = await request(fake.baseUrl)
      .get('/v2018/current?city=bern&values=aare.temperature,aare.temperature_text,nope')
      .expect(200);
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    expect(response.text).toBe('12.5\nUschaflig chaut\n');
  });

  it('changes a city consistently in /current, /today, /widget and /cities, in-process and over HTTP', async () => {
    const changing = new FakeAareguru();
    await changing.start();
    try {
      const get = async (path: string) =>
        (await request(changing.baseUrl).get(path).expect(200)).body;
      const seen = async (city: string) => {
        const { aare, aarepast } = await get(`/v2018/current?city=${city}`);
        const today = await get(`/v2018/today?city=${city}`);
        const shown = (await get('/v2018/widget')).values[city];
        const listed = (await get('/v2018/cities')).find((c: { city: string }) => c.city === city);
        return {
          current: {
            temperature: aare.temperature,
            temperaturePrec: aare.temperature_prec,
            flow: aare.flow,
            time: aare.timestamp,
            timestring: aare.timestring,
          },
          lastPast: aarepast.at(-1),
          today: { temperature: today.aare, temperaturePrec: today.aare_prec, time: today.time },
          widget: {
            temperature: shown.temperature,
            flow: shown.flow,
            time: shown.timestamp,
            timestring: shown.timestring,
          },
          cities: {
            temperature: listed.aare,
            temperaturePrec: listed.aare_prec,
            time: listed.time,
          },
        };
      };
      const consistent = (s: {
        temperature: number;
        precise: number;
        flow: number;
        time: number;
        timestring: string;
      }) => ({
        current: {
          temperature: s.temperature,
          temperaturePrec: s.precise,
          flow: s.flow,
          time: s.time,
          timestring: s.timestring,
        },
        lastPast: { timestamp: s.time, flow: s.flow, temperature: s.precise },
        today: { temperature: s.temperature, temperaturePrec: s.precise, time: s.time },
        widget: {
          temperature: s.temperature,
          flow: s.flow,
          time: s.time,
          timestring: s.timestring,
        },
        cities: { temperature: s.temperature, temperaturePrec: s.precise, time: s.time },
      });
      const before = await seen('thun');
      const otherBefore = await seen('bern');

      changing.setCity('thun', { temperature: 18.444, flow: 123 });
      const time = before.current.time + 600;
      const timestring = new Intl.DateTimeFormat('de-CH', {
        timeZone: 'Europe/Zurich',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date(time * 1000));
      expect(await seen('thun')).toEqual(
        consistent({ temperature: 18.4, precise: 18.44, flow: 123, time, timestring }),
      );
      expect(await seen('bern')).toEqual(otherBefore);

      // Over HTTP, as spawned replicas' tests do: a given time, the flow only.
      const at = 1_750_000_200; // 2025-06-15 15:10 UTC, 17:10 in Zurich
      await request(changing.baseUrl)
        .post('/__fake/cities/thun')
        .send({ flow: 99, timestamp: at })
        .expect(200);
      expect(await seen('thun')).toEqual(
        consistent({ temperature: 18.4, precise: 18.44, flow: 99, time: at, timestring: '17:10' }),
      );

      await request(changing.baseUrl).post('/__fake/cities/zurich').send({ flow: 1 }).expect(404);
      await request(changing.baseUrl)
        .post('/__fake/cities/thun')
        .send({ flow: 'lots' })
        .expect(400);
      expect(() => changing.setCity('zurich', { flow: 1 })).toThrow('unknown city: zurich');
    } finally {
      await changing.stop();
    }
  });

  it('takes faults and reports request counts over HTTP', async () => {
    await request(fake.baseUrl)
      .post('/__fake/faults')
      .send({ fault: { kind: 'status', status: 503 }, path: '/v2018/widget', times: 1 })
      .expect(201);
    await request(fake.baseUrl).get('/v2018/widget').expect(503);
    await request(fake.baseUrl).get('/v2018/widget').expect(200);
    await request(fake.baseUrl).get('/v2018/current?city=thun').expect(200);
    const counts = await request(fake.baseUrl).get('/__fake/requests').expect(200);
    expect(counts.body).toEqual({
      total: 3,
      counts: { '/v2018/widget': 2, '/v2018/current?city=thun': 1 },
    });
    await request(fake.baseUrl).post('/__fake/faults').send({}).expect(400);
  });
});
