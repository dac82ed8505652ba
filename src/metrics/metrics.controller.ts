import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { MetricsKeyGuard } from '../auth/api-key.guard';

/** The library's scrape endpoint (its path is set by PrometheusModule), behind METRICS_REQUIRE_KEY. */
@ApiExcludeController()
@Controller()
@UseGuards(MetricsKeyGuard)
export class MetricsController extends PrometheusController {
  @Get()
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}
