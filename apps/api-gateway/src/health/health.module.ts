import { Module } from '@nestjs/common';
import { HistoryModule } from '../history/history.module';
import { GetHealthHandler } from './queries/get-health/get-health.handler';
import { GetHealthHttpController } from './queries/get-health/get-health.http.controller';

@Module({
  imports: [HistoryModule],
  controllers: [GetHealthHttpController],
  providers: [GetHealthHandler],
})
export class HealthModule {}
