import { Module } from '@nestjs/common';
import { AareguruModule } from '../aareguru/aareguru.module';
import { AareReportService } from './aare-report.service';

/** Aare reports built from upstream data; no MCP or HTTP in here. */
@Module({
  imports: [AareguruModule],
  providers: [AareReportService],
  exports: [AareReportService],
})
export class AareModule {}
