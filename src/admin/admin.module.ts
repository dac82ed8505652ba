import { Module } from '@nestjs/common';
import { AareguruModule } from '../aareguru/aareguru.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';

/** The operators' API at /admin, documented with OpenAPI at /docs. */
@Module({
  imports: [AareguruModule, SessionsModule],
  controllers: [AdminController],
  providers: [AdminService],
})
export class AdminModule {}
